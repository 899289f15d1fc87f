"""`make demo`: a monthly release on the bundled sample data, headless.

The analyst's month, end to end, through the same functions the dock and the Processing
algorithms use:

1. load the published police.uk months bundled in sample_data/police-uk (a Leicestershire month
   as a folder, the next as the monthly .zip, a Northumbria month with outcomes and stop and
   search): the history the force has already published;
2. load this month's raw force extract (sample_data/force: a synthetic records-system export
   with exact locations, times, references and free text) through its mapping profile;
3. derive the anonymous map points from the published history;
4. anonymise: snap to map points, police.uk public schema, salted Crime IDs, release rules,
   the audit and the leak gate (the salt lives outside the output folder, in .demo-secrets/);
5. hotspots on the internal exact data for intelligence staff: Getis-Ord Gi* on 250 m
   hexagons and a 50 m kernel density surface;
6. a QGIS project holding every layer, styled, with paths relative to the project so the
   demo_output folder can be moved and reopened.

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

SAMPLE = REPO / "sample_data"
PUBLISHED = [
    SAMPLE / "police-uk" / "2022-09",  # Leicestershire, September 2022 (a folder)
    SAMPLE / "police-uk" / "2022-10.zip",  # Leicestershire, October 2022 (the monthly archive)
    SAMPLE / "police-uk" / "2022-07",  # Northumbria, July 2022: street, outcomes, stop and search
]
FORCE_EXTRACT = SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
# The release salt is a secret: it must never sit inside an output folder. A real force keeps
# it in a protected place; the demo keeps one beside the repository (git-ignored).
SALT_FILE = REPO / ".demo-secrets" / "release.salt"
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."
GI_CELL_M = 250.0
KDE_CELL_M = 50.0


def ensure_salt(path: Path) -> Path:
    """Create the demo's salt once; later runs reuse it, so the release is reproducible."""
    from crime_mapper.core.release.release_files import create_salt_file

    if not path.exists():
        create_salt_file(path)
    return path


def run_release(out_dir: Path) -> dict:
    """Steps 1-5; returns every output for the project and the summary."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.release.map_points import map_points_from_history
    from crime_mapper.core.release.map_points_files import write_map_points_gpkg
    from crime_mapper.qgis_bridge.hotspot_input import points_from_layer
    from crime_mapper.qgis_bridge.hotspot_layers import run_gi, run_kde
    from crime_mapper.qgis_bridge.run_anonymise import run_anonymise
    from crime_mapper.qgis_bridge.run_load import run_load

    published = run_load(PUBLISHED, out_dir / "published")
    internal = run_load([FORCE_EXTRACT], out_dir / "internal", profile_path=FORCE_PROFILE)

    history = load_extracts([p for p in PUBLISHED if "2022-07" not in p.name])
    points = map_points_from_history(history.crimes)
    points_gpkg = out_dir / "internal" / "map_points.gpkg"
    write_map_points_gpkg(points, points_gpkg)

    release = run_anonymise(
        internal.gpkg, points, None, ensure_salt(SALT_FILE), out_dir / "release"
    )

    exact = points_from_layer(str(internal.gpkg))
    gi = run_gi(
        exact, out_dir / "internal" / "hotspots_gi_250m.gpkg", cell_size_m=GI_CELL_M, fdr=True
    )
    kde = run_kde(exact, out_dir / "internal" / "hotspots_kde_50m.tif", cell_m=KDE_CELL_M)
    return {
        "published": published,
        "internal": internal,
        "points": points,
        "points_gpkg": points_gpkg,
        "release": release,
        "gi": gi,
        "kde": kde,
    }


def build_project(run: dict, project_path: Path) -> None:
    """Write a .qgz with one group per stage, using the layer code the dock uses."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsProject,
        QgsReferencedRectangle,
        QgsVectorLayer,
    )

    from crime_mapper.core.release.pipeline import PUBLIC_TABLE
    from crime_mapper.qgis_bridge.hotspot_style import add_hotspot_to_project
    from crime_mapper.qgis_bridge.layers import add_load_to_project, gpkg_uri
    from crime_mapper.qgis_bridge.run_anonymise import style_public_layer

    project = QgsProject.instance()
    project.clear()
    project.setTitle("crime_mapper demo: October 2022 release, Leicester")
    project.writeEntryBool("Paths", "/Absolute", False)
    bng = QgsCoordinateReferenceSystem("EPSG:27700")  # British National Grid, metres
    project.setCrs(bng)
    root = project.layerTreeRoot()

    published = run["published"]
    add_load_to_project(
        published.gpkg,
        f"Published police.uk: {published.title}",
        rejects_csv=published.rejects_csv,
        has_stop_search=published.has_stop_search,
        rejected=published.rejected,
        project=project,
    )
    for outputs in (run["gi"], run["kde"]):
        add_hotspot_to_project(outputs, project)
    internal = run["internal"]
    group = add_load_to_project(
        internal.gpkg,
        f"Internal (exact): {internal.title}",
        rejects_csv=internal.rejects_csv,
        rejected=internal.rejected,
        project=project,
    )
    points_layer = QgsVectorLayer(
        gpkg_uri(run["points_gpkg"], "map_points"), "Anonymous map points", "ogr"
    )
    project.addMapLayer(points_layer, False)
    group.addLayer(points_layer)

    release = run["release"]
    public = QgsVectorLayer(
        f"{release.public_gpkg}|layername={PUBLIC_TABLE}",
        "Public release (police.uk schema)",
        "ogr",
    )
    style_public_layer(public)
    project.addMapLayer(public, False)
    root.insertGroup(0, "Public release").addLayer(public)

    crimes = group.findLayers()[0].layer()
    extent = QgsCoordinateTransform(crimes.crs(), bng, project).transformBoundingBox(
        crimes.extent()
    )
    extent.scale(1.05)
    project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(extent, bng))
    project.setFileName(str(project_path))
    if not project.write():
        raise RuntimeError(f"could not write {project_path}: {project.error()}")


def print_summary(run: dict, project_path: Path) -> None:
    published, internal, release = run["published"], run["internal"], run["release"]
    print(
        f"1. Published history loaded: {published.title}: {published.crimes:,} crimes, "
        f"{published.stop_search:,} stop and search, {published.rejected:,} rejected rows"
    )
    print(
        f"2. Force extract loaded: {internal.crimes:,} crimes ({internal.mapped:,} with a "
        f"location), {internal.rejected:,} rejected rows: {internal.report_json}"
    )
    print(f"3. Map points from the published history: {len(run['points']):,}: {run['points_gpkg']}")
    print("4. Public release:")
    print("   " + release.summary_text().replace("\n", "\n   "))
    print(f"   GeoPackage: {release.public_gpkg}")
    print(f"   Audit: {release.audit_html} (and {release.audit_json.name})")
    print(f"   Manifest: {release.manifest}")
    gi, kde = run["gi"], run["kde"]
    print(f"5. Hotspots (internal): {gi.title}: {gi.cells:,} cells -> {gi.path}")
    print(f"   {kde.title} -> {kde.path}")
    print(f"6. QGIS project: {project_path}")
    print(f"Open it with: qgis {project_path}")
    print(LICENCE)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]).resolve() if len(argv) > 1 else REPO / "demo_output"
    missing = [str(p) for p in [*PUBLISHED, FORCE_EXTRACT, FORCE_PROFILE] if not p.exists()]
    if missing:
        print(f"Sample data missing: {', '.join(missing)}", file=sys.stderr)
        return 2

    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        run = run_release(out_dir)
        project_path = out_dir / "crime_mapper_demo.qgz"
        build_project(run, project_path)
        print_summary(run, project_path)
        ok = (
            run["published"].reconciles
            and run["internal"].reconciles
            and run["release"].reconciles
            and run["release"].gate_passed
        )
        return 0 if ok else 1
    finally:
        from qgis.core import QgsProject

        QgsProject.instance().clear()
        app.exitQgis()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
