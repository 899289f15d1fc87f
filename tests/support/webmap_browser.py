"""Drive Debian's chromium with Playwright for the web map tests and benchmarks.

Playwright cannot download browsers here, so it launches /usr/bin/chromium by path with the
flags a locked-down headless run needs. Tile requests to the configured host are answered
with a blank PNG (the machine has no network, and a test must not depend on one); every
request is recorded so a test can prove nothing else left the machine.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parent.parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
#: The WCAG 2.2 AA rule sets (and axe's best practice) every page is held to
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# 1x1 transparent PNG
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
TILE_HOST = "tile.openstreetmap.org"


@dataclass
class PageRecord:
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def open_page(
    browser: Any,
    url: str,
    width: int = 1280,
    height: int = 900,
    bypass_csp: bool = False,
    reduced_motion: str = "no-preference",
) -> tuple[Any, PageRecord]:
    """A page at ``url`` once the map says it is ready, with its console and requests.

    ``reduced_motion`` is the reader's system setting the page sees ("reduce" or
    "no-preference"): pinned, so a test does not take the machine's.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height},
        bypass_csp=bypass_csp,
        reduced_motion=reduced_motion,
    )
    page = context.new_page()
    rec = PageRecord()
    page.on("console", lambda m: rec.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: rec.errors.append(str(e)))
    page.on("request", lambda r: rec.requests.append(r.url))

    def dialog(d: Any) -> None:
        rec.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.route(
        f"https://{TILE_HOST}/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG),
    )
    page.goto(url)
    try:
        page.wait_for_selector("html[data-cm-ready]", state="attached", timeout=30000)
    except Exception as exc:
        raise AssertionError(f"the page never became ready: {rec.errors} {rec.console}") from exc
    return page, rec


def shown(page: Any) -> int:
    return int(page.get_attribute("#status", "data-shown"))


def wait_for_settled_popup(page: Any) -> None:
    """Wait until the open popup has faded fully in, as a reader sees it.

    Leaflet fades a popup in over 0.2 s. A check of what is drawn (axe measures colour
    contrast from the colours on screen) made during the fade reads the half-shown text as
    too faint, so a test that judges the popup's look waits for the fade to end first.
    """
    # (a promise the page resolves, not wait_for_function: that evals its predicate, which
    # the map's own Content-Security-Policy refuses)
    page.evaluate(
        """() => new Promise(resolve => {
          const whole = () => {
            const p = document.querySelector(".leaflet-popup");
            if (p !== null && getComputedStyle(p).opacity === "1") resolve(true);
            else requestAnimationFrame(whole);
          };
          whole();
        })"""
    )


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two computed CSS colours ("rgb(r, g, b)" or "rgba(...)").

    A test under forced colours reads the colours the browser settled on (system colours
    resolve to plain rgb() there) and judges them as a reader's eye would."""

    def luminance(colour: str) -> float:
        values = colour[colour.index("(") + 1 : colour.index(")")].split(",")
        channels = []
        for value in values[:3]:
            c = float(value) / 255
            channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def axe_violations(page: Any) -> list:
    """axe-core's violations of the page as it is now (AXE_TAGS): (rule, help, the first
    three nodes' targets) each, so a failing assertion shows what and where."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(f"axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}}})")
    return [
        (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]
    ]
