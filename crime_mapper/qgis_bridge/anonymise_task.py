"""The Release panel's background anonymise: a QgsTask around the one release pipeline.

run() executes in a QgsTaskManager worker thread and only reads inputs and writes files
(through qgis_bridge.run_anonymise: core.release.pipeline.run_anonymise, the pipeline the
command line and Processing run, plus the QML style; it stages every output, so a cancel or a
failed leak gate leaves the previous release byte-identical). Map points from a layer arrive as a
QgsVectorLayerFeatureSource made on the main thread, the thread-safe way to read a layer's
features elsewhere. add_public_layer() runs afterwards on the main thread.

The internal crimes tables of the project's other loaded months are collected when the task
is made (main thread) and checked by the pipeline: map points at their raw locations are
refused (core.release.disclosure), as the command line's ``--other-crimes`` refuses them.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any, Optional, Union

from qgis.core import QgsProject, QgsTask, QgsVectorLayer

from ..core.common.feedback import Cancelled
from ..core.common.text_file import shown_line
from ..core.release.pipeline import ReleaseOutputs
from ..logger import get_logger
from .crimes_source import loaded_internal_crimes
from .load_task import TaskFeedback
from .run_anonymise import run_anonymise

LOG = get_logger()
#: The run, as another run refused by the output folder's lock names it.
HOLDER = "the Release tab of the Crime mapper panel (anonymise)"


class AnonymiseTask(QgsTask):
    """Anonymise ``crimes`` onto ``points`` into ``output_dir`` in the background.

    After the task ends: ``outputs`` (ReleaseOutputs or None), ``summary`` (readable result
    or the error), ``error`` (None on success, "Cancelled", or the message) and ``gate_failed``
    (True when the leak gate stopped the release).

    ``other_crimes``: crimes GeoPackage URIs of other months whose raw locations the map
    points must not be; None (the default) takes the internal tables of the other loads in
    the current project, so a release from the dock is checked against every loaded month.
    """

    def __init__(
        self,
        crimes: Union[str, Sequence[str]],
        points: Any,
        salt_file: str,
        output_dir: str,
        rules: Optional[str] = None,
        max_distance_m: float = 20_000.0,
        profile_path: Optional[str] = None,
        description: str = "crime_mapper: anonymise for release",
        qa_report: Optional[str] = None,
        other_crimes: Optional[Sequence[str]] = None,
    ) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        if other_crimes is None:
            other_crimes = loaded_internal_crimes(QgsProject.instance(), exclude=crimes)
        self.other_crimes = list(other_crimes)
        self.crimes = crimes
        self.points = points
        self.salt_file = salt_file
        self.output_dir = output_dir
        self.rules = rules
        self.max_distance_m = float(max_distance_m)
        self.profile_path = profile_path
        self.qa_report = qa_report  # this month's qa_report.json, recorded in audit/manifest
        self.outputs: Optional[ReleaseOutputs] = None
        self.summary = ""
        self.error: Optional[str] = None
        self.gate_failed = False
        self.details = ""
        #: the warning that the run went ahead without its output folder's run lock (no
        #: locks on the file system, a folder above it the user may not write), if it did
        self.lock_warnings: list[str] = []

    def run(self) -> bool:  # worker thread
        from ..core.common.run_lock import FolderBusy, LockNotWritten, output_lock
        from ..core.gate.leak_gate import LeakError

        try:
            # under the output folder's run lock, as the command line's anonymise: refused
            # at once, before anything is read, while another run (the month's release)
            # writes it or the folder above it
            warn = self.lock_warnings.append
            with output_lock(self.output_dir, HOLDER, self.output_dir, name_lock=True, warn=warn):
                self.outputs = self._release()
        except Cancelled:
            self.error = "Cancelled"
            self.summary = "Anonymise cancelled: the previous release was left unchanged."
            return False
        except LeakError as exc:
            self.error = str(exc)
            self.gate_failed = True
            self.summary = str(exc)
            return False
        except (FolderBusy, LockNotWritten) as exc:  # (said as it is: nothing was written)
            self.error = str(exc)
            self.summary = f"Anonymise did not start: {exc}"
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{exc}" if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            self.summary = (
                f"Anonymise failed: {self.error}\nThe previous release was left unchanged."
            )
            return False
        self.summary = "\n".join(
            [
                *(f"Warning: {shown_line(t)}" for t in self.lock_warnings),
                self.outputs.summary_text(),
            ]
        )
        return True

    def _release(self) -> ReleaseOutputs:
        """The release the task describes, in this process (the caller holds the lock)."""
        return run_anonymise(
            self.crimes,
            self.points,
            self.rules,
            self.salt_file,
            self.output_dir,
            max_distance_m=self.max_distance_m,
            profile_path=self.profile_path,
            feedback=TaskFeedback(self),
            qa_report=self.qa_report,
            other_crimes=self.other_crimes,
        )

    def finished(self, result: bool) -> None:  # main thread
        if result and self.outputs is not None:
            LOG.info(self.summary)
        elif self.error == "Cancelled" or self.isCanceled():
            self.error = self.error or "Cancelled"
            self.summary = self.summary or "Anonymise cancelled."
            LOG.warning(self.summary)
        else:
            LOG.error(f"{self.summary}\n{self.details}")

    def add_public_layer(self, project: Optional[QgsProject] = None) -> Optional[QgsVectorLayer]:
        """Main thread only: add the styled public layer of a finished release."""
        if self.outputs is None:
            return None
        return add_public_layer(self.outputs, project)


def add_public_layer(
    outputs: ReleaseOutputs, project: Optional[QgsProject] = None
) -> QgsVectorLayer:
    """The public GeoPackage layer, styled by crime type, added to the project."""
    from .layers import reload_layers_on
    from .run_anonymise import style_public_layer

    project = project or QgsProject.instance()
    reload_layers_on(project, [outputs.public_gpkg])
    name = f"Public release — {outputs.public_csv.stem}"
    layer = QgsVectorLayer(outputs.public_uri, name, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"cannot open the public layer in {shown_line(outputs.public_gpkg)}")
    style_public_layer(layer)
    project.addMapLayer(layer)
    return layer
