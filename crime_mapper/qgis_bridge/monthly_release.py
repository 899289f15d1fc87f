"""The QGIS side of the monthly release: the steps that need QGIS, and a project to open.

core.monthly.release runs the release; this module's :class:`QgisStepRunners` lets it write
what only QGIS can: the styled crimes GeoPackage (qgis_bridge.run_load, the dock's load), the
public layer's QML, the hotspot layers (Gi* GeoPackage, kernel density GeoTIFF, styled) and a
QGIS project holding every layer. Hotspot files are stamped from the release month and their
styles canonicalised (core.common.reproducible), so re-running a release gives the same bytes.

Runs in a worker thread (QgsTask, Processing) except :meth:`QgisStepRunners.project`, which
builds layers and must run where the caller's QgsProject lives (see ``build_release_project``).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

from ..core.common.feedback import CancelOnly, Feedback, ScaledFeedback
from ..core.common.reproducible import canonical_xml, fixed_timestamp, freeze_geopackage
from ..core.common.run_lock import holds
from ..core.common.staging import staged_outputs
from ..core.common.text_file import shown_line
from ..core.hotspots.hexgrid import metres_in_file_name
from ..core.monthly.config import ReleaseConfig
from ..core.monthly.release import (
    LoadStep,
    MonthlyOutputs,
    StepRunners,
    load_file_facts,
    load_warnings,
)

#: Whether the load step's crimes GeoPackage (and its style) is written in a thread beside
#: the next steps (see QgisStepRunners.load). It pays on a machine with a core to spare (the
#: idle national release: 61.0 s without, 58.3-58.6 s with) and costs about 1 s more CPU for
#: the two threads' turns at Python's lock, so on a machine loaded beyond its cores it gains
#: nothing; False writes it before the load step ends, as before (same files either way).
LOAD_GPKG_BESIDE = True

# Layer names: one vocabulary for the dock, the demo and Processing.
PUBLIC_LAYER_NAME = "Public release (police.uk format)"
INTERNAL_LAYER_PREFIX = "INTERNAL, exact locations"
MAP_POINTS_LAYER_NAME = "Anonymous map points"


class QgisStepRunners(StepRunners):
    """Every step, QGIS included."""

    def __init__(self) -> None:
        from .run_anonymise import qgis_version

        self.qgis_version = qgis_version()

    #: The QGIS load writes and styles the crimes GeoPackage as it reads the extracts (in a
    #: process of its own its tables in a forked child, forked only when no other Python
    #: thread runs: core.common.forked.alone), so it has no idle core for the map points:
    #: a national release read them ahead only 1.2-3.6 s slower (two runs each, in turn,
    #: the child made to wait for the read), and the anonymise step reads them, as before
    reads_points_ahead = False

    def load(
        self, inputs, out_dir, profile_path, feedback: Feedback, month: Optional[str] = None
    ) -> LoadStep:
        from ..core.release.crimes_input import crimes_from_gpkg, crimes_from_load_in_progress
        from .run_load import run_load

        # The crimes GeoPackage and its style are written beside the next steps (the
        # anonymise step takes the table in memory and never reads the file); the release
        # settles the load (every file in place, or the load's error) before anything reads
        # its files and before the anonymise step's manifest describes the GeoPackage.
        out = run_load(
            [str(p) for p in inputs],
            out_dir,
            profile_path=profile_path,
            feedback=feedback,
            keep_table=True,
            gpkg_beside=LOAD_GPKG_BESIDE,
            # (a process of its own: the tables in a forked child, not a thread)
            gpkg_fork=self.publish_beside,
            release_month=month,
        )
        report_json = out.waiting.get(Path(out.report_json).absolute(), out.report_json)
        report = json.loads(Path(report_json).read_text(encoding="utf-8"))
        totals = report.get("totals", {})
        file_errors, damaged = load_file_facts(report)
        written = [out.gpkg, out.qml, out.rejects_csv, out.report_json, out.report_text_path]
        return LoadStep(
            written=[p for p in written if p is not None],
            crimes=str(out.gpkg),
            summary={
                "rows_read": totals.get("rows_read"),
                "accepted": totals.get("accepted"),
                "no_location": totals.get("no_location"),
                "rejected": totals.get("rejected"),
                "reconciles": report.get("reconciles"),
                "title": out.title,
            },
            reconciles=bool(out.reconciles),
            report_text=out.report_text,
            crimes_gpkg=Path(out.gpkg),
            warnings=load_warnings(report),
            file_errors=file_errors,
            damaged=damaged,
            # the GeoPackage as the anonymise step reads it, from the table in memory
            opened=(
                crimes_from_gpkg(out.gpkg, loaded=out.table)
                if out.settle is None
                else crimes_from_load_in_progress(
                    out.gpkg,
                    out.table,
                    out.waiting.get(Path(out.rejects_csv).absolute()),
                    out.settle,
                )
            ),
            settle=out.settle,
        )

    def style_writer(self):
        from .run_anonymise import write_public_qml

        return write_public_qml

    def makes_hotspots(self, load: LoadStep) -> bool:
        return load.crimes_gpkg is not None

    def hotspots(
        self, load: LoadStep, out_dir: Path, config: ReleaseConfig, month: str, feedback
    ) -> list[Any]:
        # (the limits the release asked of the crimes as they were read: cell_budget)
        from ..core.hotspots.cell_budget import GI_MAX_CELLS, GI_RINGS, KDE_MAX_CELLS
        from .hotspot_input import points_from_layer
        from .hotspot_layers import run_gi, run_kde

        if load.crimes_gpkg is None:
            return super().hotspots(load, out_dir, config, month, feedback)
        settings = config.hotspots
        stamp = fixed_timestamp([month])
        # (the crimes as the release's hotspot check projected them: taken when the points
        # read back are exactly those, cell_budget.Projected; dropped once used)
        projected, load.projected = load.projected, None
        points = points_from_layer(
            str(load.crimes_gpkg), feedback=ScaledFeedback(feedback, 0, 20), projected=projected
        )
        made = []
        if settings.gi:
            final = out_dir / f"hotspots_gi_{metres_in_file_name(settings.gi_cell_m)}.gpkg"
            made.append(
                _reproducible(
                    final,
                    lambda path, qml: run_gi(
                        points,
                        path,
                        cell_size_m=settings.gi_cell_m,
                        fdr=settings.fdr,
                        rings=GI_RINGS,
                        max_cells=GI_MAX_CELLS,
                        qml_path=qml,
                        feedback=ScaledFeedback(feedback, 20, 55),
                    ),
                    stamp,
                )
            )
        if settings.kde:
            final = out_dir / f"hotspots_kde_{metres_in_file_name(settings.kde_cell_m)}.tif"
            made.append(
                _reproducible(
                    final,
                    lambda path, qml: run_kde(
                        points,
                        path,
                        cell_m=settings.kde_cell_m,
                        bandwidth_m=settings.bandwidth_m or None,
                        max_cells=KDE_MAX_CELLS,
                        qml_path=qml,
                        feedback=ScaledFeedback(feedback, 55, 100),
                    ),
                    stamp,
                )
            )
        return made

    def project(self, outputs: MonthlyOutputs, path: Path) -> Path:
        return build_release_project(outputs, path)

    def atlas(
        self, done: Any, public_csv: Path, pdf: Path, feedback: Feedback, staging: Any = None
    ) -> Path:
        """The summaries' PDF atlas (qgis_bridge.atlas.export_atlas, as Processing's ATLAS),
        from the summaries' own table when they carry it (with their history months), else
        the public release read as the summaries read it; staged in ``staging`` when given
        (committed by its caller with the summaries and the web map)."""
        from .atlas import export_atlas

        if getattr(done, "table", None) is not None:
            public = done.table
        else:
            from ..core.publish.summaries_run import read_release

            public = read_release(public_csv)
        # (its cancel only: the atlas's pages would run the step's progress bar from 0 again)
        return export_atlas(done, public, pdf, feedback=CancelOnly(feedback), staging=staging)


def _reproducible(final: Path, run, stamp: str):
    """Run a hotspot writer into staged files, stamp and canonicalise them, then move them
    into place together; the outputs name the final paths."""
    qml_final = final.with_suffix(".qml")
    with staged_outputs() as stage:
        tmp, tmp_qml = stage.path_for(final), stage.path_for(qml_final)
        made = run(tmp, tmp_qml)
        if final.suffix.lower() == ".gpkg":
            freeze_geopackage(tmp, stamp)
        canonical_xml(tmp_qml)
        aux = Path(f"{tmp}.aux.xml")
        if aux.exists():  # GDAL statistics side file: not part of the release
            aux.unlink()
    made.path, made.qml = final, qml_final
    return made


# --- the project ----------------------------------------------------------------------------


#: In a project's temporary name, written beside it (project_writing_name)
_WRITING = ".crime_mapper-writing-"


def project_writing_name(path: Path) -> Path:
    """Where a project that will become ``path`` is written first: beside it (the same
    folder, so its relative layer paths are the same, and the same file system, so the
    move into place is one atomic rename), named "<stem>.crime_mapper-writing-<random>
    <suffix>", whose stem is the project's own (QGIS names the .qgs inside a .qgz after
    the part of the name before its first dot)."""
    return path.with_name(f"{path.stem}{_WRITING}{secrets.token_hex(6)}{path.suffix}")


def _remove_unfinished_projects(path: Path) -> None:
    """Remove the temporary projects a killed run left beside ``path``
    (:func:`project_writing_name`): never moved into place, they are no one's project.

    Only under the run lock of ``path``'s folder (core.common.run_lock, which the monthly
    release holds for its whole run): no other run can then be writing a project there, so
    every such file is a killed run's. Without the lock (a caller outside a release) they
    are left: one may be a concurrent run's project being written, which this removed."""
    if not holds(path.parent):
        return
    for left in path.parent.glob(f"{glob.escape(path.stem)}{_WRITING}*{path.suffix}"):
        with contextlib.suppress(OSError):
            left.unlink()


def build_release_project(outputs: MonthlyOutputs, path: Path) -> Path:
    """Write a QGIS project holding the release's layers (see :func:`add_release_layers`),
    with relative paths, so the release folder can be moved and the project reopened.

    Written whole under a temporary name beside ``path``, then renamed over it. Why: QGIS
    writes a .qgz by removing the earlier project and then moving its new archive in, so a
    failure between the two (a full disk, something in the way) left no project or half
    of one; now the earlier project stays whole until the new one replaces it, and a
    failed write leaves nothing behind (a RuntimeError naming ``path`` and why)."""
    from qgis.core import QgsProject

    path = Path(path)
    _remove_unfinished_projects(path)
    project = QgsProject()
    project.setTitle(f"crime_mapper release {outputs.month}")
    project.writeEntryBool("Paths", "/Absolute", False)
    add_release_layers(outputs, project)
    writing = project_writing_name(path)
    try:
        project.setFileName(str(writing))
        if not project.write():
            raise RuntimeError(f"could not write {shown_line(path)}: {shown_line(project.error())}")
        try:
            os.replace(writing, path)
        except OSError as exc:
            raise RuntimeError(
                f"could not write {shown_line(path)}: {shown_line(exc.strerror or exc)}"
            ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            writing.unlink()
        raise
    finally:
        project.clear()
    return path


def add_release_layers(outputs: MonthlyOutputs, project: Any) -> list[Any]:
    """Add the release's layers to a project, ready for a new user; return them (see
    :func:`release_layers_in_steps`)."""
    return [layer for layer in release_layers_in_steps(outputs, project) if layer is not None]


#: A release layer's place: the public group, or the internal one (crimes, hotspots).
PUBLIC, INTERNAL = "public", "internal"


def release_layer_makers(outputs: MonthlyOutputs) -> list[tuple[str, Callable[[], Any]]]:
    """(place, make) for each of the release's layers, in the order they are listed: make()
    opens the file and styles the layer (named, legend limited to the categories the release
    holds). Nothing here touches a project, so it may run in any thread."""
    from qgis.core import QgsVectorLayer

    from ..core.release.pipeline import PUBLIC_TABLE
    from .hotspot_style import hotspot_layer
    from .layers import gpkg_uri, style_crimes_layer
    from .renderers import keep_present_categories
    from .run_anonymise import style_public_layer

    makers: list[tuple[str, Callable[[], Any]]] = []
    release = outputs.release
    if release is not None:

        def public() -> Any:
            layer = QgsVectorLayer(
                f"{release.public_gpkg}|layername={PUBLIC_TABLE}",
                f"{PUBLIC_LAYER_NAME} {outputs.month}",
                "ogr",
            )
            style_public_layer(layer)
            keep_present_categories(layer, published_categories(release.audit))
            return layer

        makers.append((PUBLIC, public))
    load = outputs.load
    if load is not None and load.crimes_gpkg is not None:
        crimes_gpkg = load.crimes_gpkg

        def crimes() -> Any:
            layer = QgsVectorLayer(
                gpkg_uri(crimes_gpkg, "crimes"),
                f"{INTERNAL_LAYER_PREFIX}: crimes {outputs.month}",
                "ogr",
            )
            style_crimes_layer(layer)
            keep_present_categories(layer, loaded_categories(crimes_gpkg))
            return layer

        makers.append((INTERNAL, crimes))
    for made in outputs.hotspots:

        def hotspot(made: Any = made) -> Any:
            layer = hotspot_layer(made)
            layer.setName(f"{INTERNAL_LAYER_PREFIX}: {made.title}")
            return layer

        makers.append((INTERNAL, hotspot))
    return makers


def prepare_release_layers(outputs: MonthlyOutputs, thread: Any = None) -> list[tuple[str, Any]]:
    """The release's layers opened and styled ((place, layer) pairs, see
    :func:`release_layer_makers`), made in the calling thread and then moved to ``thread``
    (the user interface's) when given.

    Why: opening a national GeoPackage or GeoTIFF and reading the density surface's maximum
    take 25-50 ms each on the thread that does it; the dock's release task does them in its
    own thread, so the user interface's thread only adds finished layers to the project
    (QGIS's Processing hands layers from its worker threads the same way)."""
    made = [(place, make()) for place, make in release_layer_makers(outputs)]
    if thread is not None:
        for _place, layer in made:
            layer.moveToThread(thread)
    return made


def release_layers_in_steps(
    outputs: MonthlyOutputs, project: Any, prepared: Optional[list[tuple[str, Any]]] = None
) -> Iterator[Any]:
    """Add the release's layers to a project, one piece of work per step of the iteration
    (each added layer is yielded; None between other pieces), so that the dock can let the
    event loop run between them. ``prepared``: the layers made already
    (:func:`prepare_release_layers`, in the release task's thread); else each is opened and
    styled in its own piece.

    - An empty project gets British National Grid as its CRS (not the stretched EPSG:4326 of
      a new project); a project with layers keeps its own.
    - The transform context names the EPSG:27700 <-> EPSG:4326 operation, so QGIS never asks
      "Select Transformation" (qgis_bridge.transform_context).
    - One group per audience: the public release (visible) and the internal exact layers and
      hotspots (present, switched off, names saying they are internal).
    - The view starts on the crimes.
    """
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsReferencedRectangle,
    )

    from .hotspot_style import name_density_legend
    from .transform_context import set_default_transforms

    bng = QgsCoordinateReferenceSystem("EPSG:27700")
    was_empty = not project.mapLayers()
    set_default_transforms(project)
    yield None
    root = project.layerTreeRoot()
    added: list[Any] = []
    pieces: list[tuple[str, Any]] = list(prepared) if prepared is not None else []
    if prepared is None:
        pieces = list(release_layer_makers(outputs))
    internal_group = None
    for place, piece in pieces:
        layer = piece if prepared is not None else piece()
        if place == PUBLIC:
            project.addMapLayer(layer, False)
            root.insertGroup(0, f"Public release {outputs.month}").addLayer(layer)
        else:
            if internal_group is None:
                internal_group = _internal_group(root, outputs.month)
            project.addMapLayer(layer, False)
            internal_group.addLayer(layer).setItemVisibilityChecked(False)
            name_density_legend(layer, project)
        added.append(layer)
        yield layer
    if internal_group is None:
        internal_group = _internal_group(root, outputs.month)
    internal_group.setExpanded(False)
    if was_empty:
        # QGIS gives an empty project its first layer's CRS (4326 here, stretched) when the
        # canvas next draws (a deferred call in the desktop): set ours now and after that
        from qgis.core import QgsProject
        from qgis.PyQt.QtCore import QTimer

        project.setCrs(bng)
        if project is QgsProject.instance():  # never for a project that may be gone by then
            QTimer.singleShot(0, lambda: QgsProject.instance().setCrs(bng))

    source = next(
        (layer for layer in added if layer.isValid() and not layer.extent().isEmpty()), None
    )
    if source is not None:
        extent = QgsCoordinateTransform(source.crs(), project.crs(), project).transformBoundingBox(
            source.extent()
        )
        extent.scale(1.05)
        project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(extent, project.crs()))


def _internal_group(root: Any, month: str) -> Any:
    return root.addGroup(f"Internal {month}: exact locations, not for publication")


def published_categories(audit: Any) -> Optional[set[str]]:
    """The crime types the public layer holds, from the release's audit (None if unknown)."""
    rows = audit.get("categories") if isinstance(audit, dict) else None
    if not isinstance(rows, list):
        return None
    return {
        str(row["category"])
        for row in rows
        if isinstance(row, dict)
        and (row.get("published_at_map_point") or 0) + (row.get("published_without_location") or 0)
    }


def loaded_categories(crimes_gpkg: Path) -> Optional[set[str]]:
    """The crime types of the loaded crimes, from the load's validation report beside the
    GeoPackage (None if it cannot be read)."""
    from ..core.load.validation_report import OUTPUT_NAMES

    try:
        report = json.loads(
            (Path(crimes_gpkg).parent / OUTPUT_NAMES["report_json"]).read_text(encoding="utf-8")
        )
        counts = report["crimes"]["by_category"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (
        {str(name) for name, count in counts.items() if count} if isinstance(counts, dict) else None
    )


def run_headless(
    config: ReleaseConfig,
    month: str,
    feedback: Optional[Feedback] = None,
    other_crimes: Sequence[str] = (),
    **options: Any,
):
    """The monthly release from a plain Python process (the command line, and the dock's
    child process: qgis_bridge.release_child): runs the steps with :class:`QgisStepRunners`
    in the process's QGIS, started without a display if none runs yet and left running for
    the next run (qgis_bridge.headless_app: QGIS cannot be stopped and started again in one
    process). ``other_crimes``: the raw crimes tables of other months the map points are
    checked against (the dock's other loads); ``options`` go to
    core.monthly.release.run_monthly_release (steps, on_step, previous)."""
    from ..core.monthly.release import run_monthly_release
    from .headless_app import start_qgis

    start_qgis()
    from .transforms import install_fallback

    install_fallback()
    runners = QgisStepRunners()
    runners.other_crimes = tuple(other_crimes)
    runners.publish_beside = True  # (a process of its own: core.common.forked)
    return run_monthly_release(config, month, runners=runners, feedback=feedback, **options)
