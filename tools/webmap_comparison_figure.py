"""Draw the README's figure comparing our web map with qgis2web's approach on the national month.

Why a script: the figure must show what `make bench` measured, not numbers typed by hand. It
reads bench/out/results.json (cases w_export_national, w_page_national, w_qgis2web_national)
and writes docs/images/webmap-vs-qgis2web.svg: three bar pairs (folder size, time until the
page is interactive, JavaScript heap), each bar labelled with its value, so the figure reads
without colour (the README's table beside it is the text alternative).

    python3 tools/webmap_comparison_figure.py [results.json] [out.svg]
"""

from __future__ import annotations

import json
import statistics
import sys
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "out" / "results.json"
OUT = REPO / "docs" / "images" / "webmap-vs-qgis2web.svg"
OURS, THEIRS = "#23395d", "#b35806"  # dark blue, dark orange: both 4.5:1 on white


def _median(results: dict, case: str, fact: str) -> float:
    runs = results.get("cases", {}).get(case, {}).get("runs") or []
    values = [r["facts"][fact] for r in runs if r["facts"].get(fact) is not None]
    if not values:
        raise SystemExit(
            f"{case}: no {fact} in the results; run: python3 -m bench.run_bench --cases "
            "w_export_national,w_page_national,w_qgis2web_national"
        )
    return float(statistics.median(values))


def figures(results: dict) -> list[tuple[str, str, float, float]]:
    """(measure, unit, ours, qgis2web's) for the three panels."""
    return [
        (
            "Folder size",
            "MB",
            _median(results, "w_export_national", "folder_mb"),
            _median(results, "w_qgis2web_national", "folder_mb"),
        ),
        (
            "Page interactive",
            "s",
            _median(results, "w_page_national", "interactive_s"),
            _median(results, "w_qgis2web_national", "interactive_s"),
        ),
        (
            "JavaScript heap",
            "MB",
            _median(results, "w_page_national", "heap_mb"),
            _median(results, "w_qgis2web_national", "heap_mb"),
        ),
    ]


def svg(rows: list[tuple[str, str, float, float]]) -> str:
    width, left, bar_w, row_h = 720, 170, 430, 86
    height = 70 + row_h * len(rows) + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="14">',
        "<title>Web map vs qgis2web's approach, national month (500,000 crimes)</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        '<text x="16" y="28" font-size="17" font-weight="bold">National month, 500,000 crimes: '
        "our web map vs qgis2web's approach</text>",
        f'<rect x="16" y="44" width="14" height="14" fill="{OURS}"/>'
        '<text x="36" y="56">crime_mapper (one record per map point)</text>',
        f'<rect x="356" y="44" width="14" height="14" fill="{THEIRS}"/>'
        '<text x="376" y="56">qgis2web (one GeoJSON feature per crime)</text>',
    ]
    for i, (name, unit, ours, theirs) in enumerate(rows):
        top = 76 + i * row_h
        scale = bar_w / max(ours, theirs, 1e-9)
        parts.append(f'<text x="16" y="{top + 30}" font-weight="bold">{escape(name)}</text>')
        for j, (value, colour) in enumerate(((ours, OURS), (theirs, THEIRS))):
            y = top + 6 + j * 34
            w = max(2.0, value * scale)
            text = f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="26" fill="{colour}"/>'
                f'<text x="{left + w + 8:.1f}" y="{y + 18}">{escape(text)}</text>'
            )
    parts.append(
        f'<text x="16" y="{height - 14}" font-size="12">Medians of the runs in '
        "bench/out/results.json: headless Chromium opening each page from disk; shorter is "
        "better.</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    results_path = Path(argv[1]) if len(argv) > 1 else RESULTS
    out = Path(argv[2]) if len(argv) > 2 else OUT
    rows = figures(json.loads(results_path.read_text(encoding="utf-8")))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(svg(rows), encoding="utf-8")
    for name, unit, ours, theirs in rows:
        print(f"{name}: {ours:,.2f} {unit} vs {theirs:,.2f} {unit} ({theirs / ours:,.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
