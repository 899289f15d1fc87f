"""`make demo`: the product's main job on the bundled sample data, headless.

Loads real police.uk files from sample_data/police-uk (a Leicestershire month as a folder,
the next month as the monthly .zip exactly as data.police.uk packs it, and a Northumbria
month with outcomes and stop and search) through the same run_load the dock and the
Processing algorithm use, then writes a QGIS project whose layer group holds the styled
crimes layer, the stop-and-search layer and the rejects table, with paths relative to the
project so the demo_output folder can be moved and reopened.

Usage: QT_QPA_PLATFORM=offscreen python3 tools/demo.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SAMPLE = REPO / "sample_data" / "police-uk"
INPUTS = [
    SAMPLE / "2022-09",  # Leicestershire, September 2022 (a folder)
    SAMPLE / "2022-10.zip",  # Leicestershire, October 2022 (the monthly archive)
    SAMPLE / "2022-07",  # Northumbria, July 2022: street, outcomes, stop and search
]
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."


def build_project(outputs, project_path: Path):
    """Write a .qgz holding the load's layer group; returns the crimes layer's feature count.

    Uses the same layer-building code as the dock (layers.add_load_to_project), with
    relative paths so the project reopens wherever the folder is moved.
    """
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsProject,
        QgsReferencedRectangle,
    )

    from crime_mapper.qgis_bridge.layers import add_load_to_project

    project = QgsProject.instance()
    project.clear()
    project.setTitle(f"crime_mapper demo: {outputs.title}")
    project.writeEntryBool("Paths", "/Absolute", False)
    bng = QgsCoordinateReferenceSystem("EPSG:27700")  # British National Grid, metres
    project.setCrs(bng)
    group = add_load_to_project(outputs.gpkg, outputs.title, rejects_csv=outputs.rejects_csv,
                                has_stop_search=outputs.has_stop_search,
                                rejected=outputs.rejected, project=project)
    crimes = group.findLayers()[0].layer()
    extent = QgsCoordinateTransform(crimes.crs(), bng, project).transformBoundingBox(
        crimes.extent())
    extent.scale(1.05)
    project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(extent, bng))
    project.setFileName(str(project_path))
    if not project.write():
        raise RuntimeError(f"could not write {project_path}: {project.error()}")
    return crimes.featureCount()


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]).resolve() if len(argv) > 1 else REPO / "demo_output"
    missing = [str(p) for p in INPUTS if not p.exists()]
    if missing:
        print(f"Sample data missing: {', '.join(missing)}", file=sys.stderr)
        return 2

    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        from crime_mapper.qgis_bridge.run_load import run_load

        outputs = run_load(INPUTS, out_dir)
        project_path = out_dir / "crime_mapper_demo.qgz"
        count = build_project(outputs, project_path)

        print(outputs.report_text)
        print()
        print(f"Loaded: {outputs.title}: {outputs.crimes:,} crimes ({outputs.mapped:,} mapped), "
              f"{outputs.stop_search:,} stop and search, {outputs.rejected:,} rejected rows")
        print("Outputs:")
        tables = "'crimes', 'stop_search'" if outputs.has_stop_search else "'crimes'"
        print(f"  crimes GeoPackage (styled layers {tables}): {outputs.gpkg}")
        print(f"  style (QML, also the GeoPackage's default style): {outputs.qml}")
        print(f"  rejected rows (CSV):          {outputs.rejects_csv}")
        print(f"  validation report (JSON):     {outputs.report_json}")
        print(f"  validation report (text):     {outputs.report_text_path}")
        print(f"  QGIS project ({count:,} crimes on the map): {project_path}")
        print(f"Open it with: qgis {project_path}")
        print(LICENCE)
        return 0 if outputs.reconciles else 1
    finally:
        from qgis.core import QgsProject

        QgsProject.instance().clear()
        app.exitQgis()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
