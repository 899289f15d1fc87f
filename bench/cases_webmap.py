"""Benchmark cases for the public web map (registered by bench/run_bench.py).

Inputs:
- the national month: the harness's generated national CSV (500,000 crimes, bench/out);
- the force year: the last 12 Leicestershire months of ../shared/data (about 100,000 crimes),
  or the committed months in a plain clone (then the figures are not the force year's).

What is timed (each case in a fresh process):
- w_export_national: core.publish.webmap_export.export_webmap on the national month as the
  release pipeline leaves it: the release made once through the pipeline (bench/out/
  e2e-release, cached; the same one the gate case uses), the map exported beside it
  (``<release>/map``; the release's CSV and manifest are linked into a scratch folder, not
  copied). Timed: scan + read, aggregate, write, public leak-gate checks on the folder, the
  manifest check of the linked CSV (its SHA-256), swap into place. The 115 MB CSV is too
  large to copy (30 MB rule), so the page links to the release's own CSV. Without the raw
  table or neighbourhoods: the gate runs only its public checks here.
- w_export_national_gated: the same export as the monthly release runs it, which is what
  the 5 s target is held to: with the 7,200 MSOA outlines of England and Wales (../shared's,
  with House of Commons Library names; choropleth, areas.js) and the full leak gate against
  the raw national extract (500,000 rows, loaded untimed) and its 750,000 map points; the
  gate's raw-side preparation is inside the timed run (the release would share its
  anonymise step's). As the command line's ``webmap --raw`` runs it (a process of its own:
  ``export_beside``), the folder is made in a forked child while this process prepares the
  raw side (fact ``beside``: whether it was; ``cpu_s`` counts both processes,
  ``child_cpu_s`` the child's). A monthly release makes the whole map in a child of its own
  beside the summaries instead.
- w_export_national_qgis: issue 12 inside QGIS: the Processing algorithm
  ``crime_mapper:export_webmap`` run by ``processing.run`` in an already started
  QgsApplication (its start-up and the layers' opening untimed, as in an analyst's open
  session) on the same national inputs: the release CSV beside the cached release, the raw
  national extract with its profile (RAW_FILES, PROFILE), the 750,000 map points as their
  GeoPackage layer, and the 7,200 MSOA outlines as a memory layer holding the House of
  Commons Library names (joined untimed: the Processing algorithm takes names from a field).
  Timed: everything the algorithm does, reading the raw extract, the map points and the
  outlines included (w_export_national_gated has them read untimed), and the export in a
  child Python process (qgis_bridge.webmap_process), which forks as the command line does.
  Facts: ``cpu_s`` (this process and its children), ``child_cpu_s``, ``outlines_s`` (the
  layer's outlines read alone, after the run: part of the timed run).
- w_export_national_qgis_here: the same with no separate Python to be found
  (CRIME_MAPPER_PYTHON names none), so the algorithm exports inside QGIS as it did before:
  the in-process figure, for comparison (not a target).
- w_page_national / w_page_force: headless Chromium (Debian's, through Playwright) opens the
  exported page from disk (file://, tiles 'none' so no network). Facts read from the page:
  interactive (ms from navigation start to the first draw with every control live, the page's
  CM_READY_MS), a category change and a month change (ms from the click until the next frame
  is painted: recount, redraw, table, trend), and the JS heap after load (CDP
  Performance.getMetrics, JSHeapUsedSize). The case's own seconds include browser start-up
  and are not a target.
- w_qgis2web_national: qgis2web's approach for comparison: the same month as one GeoJSON
  feature per crime (all 12 columns as properties) in a `var json_... = {...}` script, drawn
  with L.geoJSON + circleMarker on Leaflet's canvas renderer (qgis2web's "points as
  circles"); time to first draw, heap and file size; given up after 120 s.
"""

from __future__ import annotations

import glob
import json
import shutil
import statistics
from pathlib import Path
from typing import Any, Callable, Optional

from bench.harness import Case, Target, children_cpu, scratch_dir

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
MB = 1024 * 1024


def _force_year() -> list[str]:
    # ../shared beside the clone (CI), or two levels up from a git worktree under wt/
    files: list[str] = []
    for base in (REPO.parent, REPO.parent.parent):
        shared = base / "shared" / "data" / "police-uk" / "leicestershire"
        files = files or sorted(glob.glob(str(shared / "*-leicestershire-street.csv")))[-12:]
    if not files:
        files = sorted(glob.glob(str(REPO / "sample_data/police-uk/*/*-leicestershire-street.csv")))
    return files


def _folder_mb(folder: Path, skip: str = "") -> float:
    return (
        sum(
            p.stat().st_size
            for p in folder.rglob("*")
            if p.is_file() and not (skip and skip in p.parts)
        )
        / MB
    )


def _export(inputs: list[str], out: Path, copy_csv: bool) -> Any:
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    return export_webmap(WebmapOptions(inputs=inputs, out_dir=out, tiles="none", copy_csv=copy_csv))


def _national_release() -> dict:
    """A scratch publishing folder holding (symbolic links to) the cached national release's
    public CSV and manifest: the map is exported beside them, as the release pipeline does."""

    from bench.cases_anonymise import input_from_argv
    from bench.cases_end_to_end import _gate_release, _inputs

    release = _gate_release(_inputs(input_from_argv()))
    pub = scratch_dir("cm_bench_webmap_release_")
    csv = next(release.glob("*-street.csv"))
    for item in (csv, release / "release_manifest.json"):
        (pub / item.name).symlink_to(item.resolve())
    return {"csv": pub / csv.name, "folder": pub}


# --- export -----------------------------------------------------------------------------------
def _setup_none() -> Any:
    import crime_mapper.core.publish.webmap_export  # noqa: F401 - imports are not timed

    return None


def _setup_national() -> Any:
    import crime_mapper.core.gate.leak_gate  # noqa: F401 - imports are not timed
    import crime_mapper.core.publish.webmap_export  # noqa: F401

    return _national_release()


def _setup_national_gated() -> Any:
    from bench.cases_anonymise import input_from_argv
    from bench.cases_end_to_end import _inputs
    from bench.cases_summaries import _outlines, _shared
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource, load_neighbourhoods
    from crime_mapper.core.release.map_points_files import read_map_points_file

    ctx = _setup_national()
    inputs = _inputs(input_from_argv())
    profile = MappingProfile.load(inputs["profile"])
    ctx["raw"] = load_extracts([inputs["raw"]], profile=profile).crimes
    ctx["points"] = read_map_points_file(inputs["points_csv"])
    shared = _shared()
    outlines = (
        shared
        / "boundaries"
        / ("MSOA11_outlines_dissolved_from_LSOA_BSC_stroke_unit_demographics.geojson")
    )
    names = shared / "lookups" / "MSOA-Names-2011_HoCL.csv"
    if outlines.is_file() and names.is_file():
        ctx["hoods"] = load_neighbourhoods(
            NeighbourhoodSource(
                boundaries=outlines,
                code_field="msoa11cd",
                names=names,
                names_code_field="msoa11cd",
                names_name_field="msoa11hclnm",
            )
        )
    else:  # a clone without ../shared: 7,200 squares, named by their codes
        ctx["hoods"] = _outlines()
    return ctx


def _run_export_national_gated(ctx: Any, path: Path, workdir: Path) -> dict:
    import resource
    import time

    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    child_cpu = children_cpu()
    cpu = time.process_time()
    result = export_webmap(
        WebmapOptions(
            inputs=[str(ctx["csv"])],
            out_dir=ctx["folder"] / "map",
            tiles="none",
            copy_csv=False,
            raw=ctx["raw"],
            points=ctx["points"],
            neighbourhoods=ctx["hoods"],
            export_beside=True,  # (as the command line runs it: a process of its own)
        )
    )
    cpu = time.process_time() - cpu
    child_cpu = children_cpu() - child_cpu
    return {
        "cpu_s": cpu + child_cpu,
        "child_cpu_s": child_cpu,
        "beside": result.beside,
        # (peak_rss_mb is this process's; the child's, shared copy-on-write pages included)
        "child_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "crimes": result.crimes,
        "points": result.points,
        "raw_rows": int(len(ctx["raw"])),
        "neighbourhoods": len(ctx["hoods"]),
        "folder_mb": _folder_mb(result.out_dir),
        "gate": result.gate,
    }


def _setup_national_qgis() -> Any:
    """A started QgsApplication with the plugin's provider, and the inputs as an analyst's
    session holds them (layers open, untimed)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication, QgsFeatureRequest, QgsField, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant

    from bench.cases_anonymise import input_from_argv
    from bench.cases_end_to_end import _inputs
    from bench.cases_summaries import _shared

    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    import sys

    plugins = str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins")
    if plugins not in sys.path:
        sys.path.append(plugins)
    import processing  # noqa: F401 - the plugin's algorithms run through it
    from processing.core.Processing import Processing

    Processing.initialize()
    from crime_mapper.processing.provider import CrimeMapperProvider

    provider = CrimeMapperProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    import crime_mapper.core.gate.leak_gate  # noqa: F401 - imports are not timed
    import crime_mapper.core.publish.webmap_export  # noqa: F401
    import crime_mapper.qgis_bridge.webmap_process  # noqa: F401

    ctx = _setup_national()
    inputs = _inputs(input_from_argv())
    points = QgsVectorLayer(f"{inputs['points_gpkg']}|layername=map_points", "points", "ogr")
    shared = _shared()
    outlines = QgsVectorLayer(
        str(
            shared / "boundaries" / "MSOA11_outlines_dissolved_from_LSOA_BSC_stroke_unit"
            "_demographics.geojson"
        ),
        "msoa",
        "ogr",
    )
    hoods = outlines.materialize(QgsFeatureRequest())
    hoods.startEditing()
    hoods.addAttribute(QgsField("name", QVariant.String))
    hoods.updateFields()
    import csv

    with open(shared / "lookups" / "MSOA-Names-2011_HoCL.csv", encoding="utf-8-sig") as handle:
        names = {r["msoa11cd"]: r["msoa11hclnm"] for r in csv.DictReader(handle)}
    field = hoods.fields().indexOf("name")
    for feature in hoods.getFeatures():
        hoods.changeAttributeValue(feature.id(), field, names.get(feature["msoa11cd"]))
    hoods.commitChanges()
    ctx.update(app=app, provider=provider, points=points, hoods=hoods, inputs=inputs)
    return ctx


def _run_export_national_qgis(ctx: Any, path: Path, workdir: Path, here: bool = False) -> dict:
    import os
    import time

    import processing

    from crime_mapper.qgis_bridge.neighbourhood_layer import neighbourhoods_from_layer

    if here:
        os.environ["CRIME_MAPPER_PYTHON"] = str(workdir / "no-python-here")
    child_cpu = children_cpu()
    cpu = time.process_time()
    result = processing.run(
        "crime_mapper:export_webmap",
        {
            "RELEASE": [str(ctx["csv"])],
            "RAW_FILES": [str(ctx["inputs"]["raw"])],
            "PROFILE": str(ctx["inputs"]["profile"]),
            "MAP_POINTS": ctx["points"],
            "LABEL_FIELD": "label",
            "NEIGHBOURHOODS": ctx["hoods"],
            "CODE_FIELD": "msoa11cd",
            "NAME_FIELD": "name",
            "TILES": 1,
            "COPY_CSV": False,
            "OUTPUT": str(ctx["folder"]),
        },
    )
    cpu = time.process_time() - cpu
    child_cpu = children_cpu() - child_cpu
    started = time.perf_counter()
    neighbourhoods_from_layer(ctx["hoods"], "msoa11cd", "name")
    outlines_s = time.perf_counter() - started
    folder = Path(result["FOLDER"])
    return {
        "cpu_s": cpu + child_cpu,
        "child_cpu_s": child_cpu,
        "outlines_s": outlines_s,
        "crimes": result["CRIMES"],
        "points": result["POINTS"],
        "folder_mb": _folder_mb(folder),
        "in_process": here,
    }


def _run_export_national_qgis_here(ctx: Any, path: Path, workdir: Path) -> dict:
    return _run_export_national_qgis(ctx, path, workdir, here=True)


def _run_export_national(ctx: Any, path: Path, workdir: Path) -> dict:
    import time

    cpu = time.process_time()
    result = _export([str(ctx["csv"])], ctx["folder"] / "map", copy_csv=False)
    cpu = time.process_time() - cpu  # the machine is shared: CPU time is the steadier figure
    html = result.index.read_text(encoding="utf-8")
    return {
        "cpu_s": cpu,
        "crimes": result.crimes,
        "points": result.points,
        "folder_mb": _folder_mb(result.out_dir),
        "points_js_mb": (result.out_dir / "data" / "points.js").stat().st_size / MB,
        "csv_copy_mb": Path(ctx["csv"]).stat().st_size / MB,
        "csv_linked": f'href="../{ctx["csv"].name}"' in html,
        "gate": result.gate,
    }


# --- pages ------------------------------------------------------------------------------------
def _page_ctx(name: str, inputs: Callable[[Path], list[str]]) -> Callable[[], Any]:
    def setup() -> Any:
        return {"name": name, "inputs": inputs}

    return setup


def _measure_page(index: Path, month_change: bool) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.support.webmap_browser import launch

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(index.resolve().as_uri())
        page.wait_for_selector("html[data-cm-ready]", state="attached", timeout=120_000)
        interactive = page.evaluate("window.CM_READY_MS")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        click = (
            "sel => new Promise(done => { const t = performance.now();"
            " document.querySelector(sel).click();"
            " requestAnimationFrame(() => setTimeout(() => done(performance.now() - t), 0)); })"
        )
        category = [page.evaluate(click, "input[value='burglary']") for _ in range(6)]
        facts = {
            "interactive_s": interactive / 1000,
            "category_ms": statistics.median(category),
            "heap_mb": metrics.get("JSHeapUsedSize", 0) / MB,
            "errors": errors[:3],
        }
        if month_change:
            change = (
                "v => new Promise(done => { const s = document.querySelector('#period-end');"
                " const t = performance.now(); s.value = v;"
                " s.dispatchEvent(new Event('change'));"
                " requestAnimationFrame(() => setTimeout(() => done(performance.now() - t), 0)); })"
            )
            values = page.eval_on_selector_all("#period-end option", "os => os.map(o => o.value)")
            months = [page.evaluate(change, v) for v in values[:6]]
            facts["month_ms"] = statistics.median(months)
        browser.close()
    return facts


def _run_page_national(ctx: Any, path: Path, workdir: Path) -> dict:
    result = _export([str(ctx["csv"])], ctx["folder"] / "map", copy_csv=False)
    facts = _measure_page(result.index, month_change=False)
    facts["folder_mb"] = _folder_mb(result.out_dir)
    _screenshot(result.index, "webmap-national.png")
    return facts


def _run_page_force(_ctx: Any, path: Path, workdir: Path) -> dict:
    files = _force_year()
    result = _export(files, workdir / "map", copy_csv=True)
    facts = _measure_page(result.index, month_change=True)
    facts.update(
        crimes=result.crimes,
        months=len(result.months),
        folder_mb=_folder_mb(result.out_dir),
        folder_without_csv_mb=_folder_mb(result.out_dir, skip="downloads"),
    )
    return facts


def _screenshot(index: Path, name: str) -> None:
    """The national page as an artefact for people to look at (tests/artefacts/)."""
    from playwright.sync_api import sync_playwright

    from tests.support.webmap_browser import launch

    target = REPO / "tests" / "artefacts"
    target.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(index.resolve().as_uri())
        page.wait_for_selector("html[data-cm-ready]", state="attached", timeout=120_000)
        page.screenshot(path=str(target / name))
        browser.close()


# --- qgis2web's approach ----------------------------------------------------------------------
QGIS2WEB_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="leaflet.css"><title>qgis2web-style</title>
<style>#map{height:800px}</style></head><body><div id="map"></div>
<script src="leaflet.js"></script><script src="data.js"></script>
<script>
var map = L.map('map', {preferCanvas: true}).setView([52.6, -1.5], 7);
var layer = L.geoJSON(json_crimes, {pointToLayer: function (f, ll) {
  return L.circleMarker(ll, {radius: 4}); },
  onEachFeature: function (f, l) { l.bindPopup(f.properties['Location']); }}).addTo(map);
window.READY_MS = performance.now(); document.documentElement.setAttribute('data-ready', '1');
</script></body></html>"""


def _run_qgis2web_national(_ctx: Any, path: Path, workdir: Path) -> dict:
    import csv

    from playwright.sync_api import sync_playwright

    from crime_mapper.core.publish.webmap_vendor import VENDOR_DIR
    from tests.support.webmap_browser import launch

    folder = workdir / "qgis2web"
    folder.mkdir()
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copyfile(VENDOR_DIR / "leaflet" / name, folder / name)
    feats = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["Longitude"]:
                continue
            feats.append(
                {
                    "type": "Feature",
                    "properties": row,
                    "geometry": {
                        "type": "Point",
                        "coordinates": [float(row["Longitude"]), float(row["Latitude"])],
                    },
                }
            )
    data = {"type": "FeatureCollection", "name": "crimes", "features": feats}
    (folder / "data.js").write_text("var json_crimes = " + json.dumps(data) + ";\n")
    (folder / "index.html").write_text(QGIS2WEB_HTML)
    facts: dict[str, Any] = {"folder_mb": _folder_mb(folder), "features": len(feats)}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((folder / "index.html").as_uri(), timeout=180_000)
        try:
            page.wait_for_selector("html[data-ready]", state="attached", timeout=120_000)
            facts["interactive_s"] = page.evaluate("window.READY_MS") / 1000
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
            facts["heap_mb"] = m.get("JSHeapUsedSize", 0) / MB
        except Exception as exc:  # noqa: BLE001 - a page that never finishes is the finding
            facts["interactive_s"] = None
            facts["gave_up"] = f"not interactive after 120 s ({type(exc).__name__})"
        browser.close()
    return facts


def _fact(key: str, fact: str) -> Callable[[dict[str, dict]], Optional[float]]:
    """Median over a case's runs of one of its facts (None when absent)."""

    def value(cases: dict[str, dict]) -> Optional[float]:
        runs = cases.get(key, {}).get("runs") or []
        values = [r["facts"].get(fact) for r in runs if r["facts"].get(fact) is not None]
        return statistics.median(values) if values else None

    return value


def _median_s(key: str) -> Callable[[dict[str, dict]], Optional[float]]:
    def value(cases: dict[str, dict]) -> Optional[float]:
        return cases.get(key, {}).get("median_s")

    return value


CASES: list[Case] = [
    Case("w_export_national_gated",
         "(w1) web map export, national month beside its release, 7,200 MSOA outlines, leak "
         "gate against the raw national extract",
         _setup_national_gated, _run_export_national_gated),
    Case("w_export_national_qgis",
         "(w1q) the same inside QGIS: crime_mapper:export_webmap by processing.run, its "
         "inputs' reading included (export in a child process)",
         _setup_national_qgis, _run_export_national_qgis),
    Case("w_export_national_qgis_here",
         "(w1q-) the same with no separate Python found: exported inside QGIS (comparison)",
         _setup_national_qgis, _run_export_national_qgis_here),
    Case("w_export_national",
         "(w1-) the same without neighbourhoods and with the public checks only (no raw)",
         _setup_national, _run_export_national),
    Case("w_page_national", "(w2) web map page from disk, national month (Chromium)",
         _setup_national, _run_page_national),
    Case("w_page_force", "(w3) web map page from disk, force year (Chromium)",
         _page_ctx("force", lambda p: _force_year()), _run_page_force),
    Case("w_qgis2web_national", "(w4) qgis2web approach, national month (comparison)",
         _setup_none, _run_qgis2web_national),
]  # fmt: skip

TARGETS: list[Target] = [
    Target("web map export, national month, outlines + full leak gate (w1)", 5.0, "s",
           _median_s("w_export_national_gated")),
    Target("web map export inside QGIS, Processing, inputs read included (w1q)", 5.0, "s",
           _median_s("w_export_national_qgis")),
    Target("web map folder, national month (w1)", 15.0, "MB",
           _fact("w_export_national_gated", "folder_mb")),
    Target("page interactive, national month (w2)", 4.0, "s",
           _fact("w_page_national", "interactive_s")),
    Target("filter change, national month (w2)", 500.0, "ms",
           _fact("w_page_national", "category_ms")),
    Target("JS heap, national month (w2)", 300.0, "MB", _fact("w_page_national", "heap_mb")),
    Target("page interactive, force year (w3)", 1.5, "s",
           _fact("w_page_force", "interactive_s")),
    Target("category change, force year (w3)", 200.0, "ms",
           _fact("w_page_force", "category_ms")),
    Target("month change, force year (w3)", 200.0, "ms", _fact("w_page_force", "month_ms")),
]  # fmt: skip
