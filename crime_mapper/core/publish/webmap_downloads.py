"""The page's "download the published CSVs" links: copies in the map folder when they fit,
else links to the release's own public CSVs beside the map, else to where the publisher hosts
them. The page always has one of the three; an export that can offer none refuses.

Why not always copy: a national month's street CSV is 115 MB, while the whole map folder
must stay small enough to host and open (15 MB for a national month). Why a link is safe: the
release's public CSV is itself a public output, leak-gated when the release was made; the
export links to it only when the release manifest beside it lists it with the same SHA-256
(so it is the file the release gated), or after gating it again here, the same way as the
map folder (full gate with the raw crimes, else the public checks). The gate never follows a
link out of the folder, so this module is what keeps the linked file honest.

The size rule (also stated on the page and in the README): the street CSVs are copied into
``downloads/`` when they total at most COPY_LIMIT_BYTES (a large force's year is about 25 MB);
larger releases, or exports asked not to copy, link to the CSVs where they lie, which must be
inside the folder the map is published from (the map folder's parent, as ``<release>/map``
beside ``<release>/<month>-street.csv``), so the relative link works from disk and on any
host. Failing that, a URL where the publisher hosts them (``csv_url``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from ..common.months import month_in_words
from .webmap_inputs import (
    InputFile,
    ReleaseInputs,
    WebmapInputError,
    check_url_length,
    split_url,
)

COPY_LIMIT_BYTES = 30_000_000
LIMIT_TEXT = f"{COPY_LIMIT_BYTES / 1e6:.0f} MB"
MANIFEST_NAME = "release_manifest.json"  # core.release.release_files.RELEASE_NAMES


@dataclass
class DownloadPlan:
    """How the page offers the CSVs: mode copy, link or hosted."""

    mode: str
    links: list[dict]  # for link mode: href, text, size, gated (how the target was proven)
    to_gate: list[Path]  # linked files no manifest vouches for: gated by the export
    url: str = ""
    why: str = ""  # why not copies, as a sentence start for the page

    def rule_text(self) -> str:
        """The size rule as the page states it, and which case this export is."""
        limit = LIMIT_TEXT
        rule = (
            f"Copies of the CSV files are kept with this map when they total at most {limit}; "
            "larger releases are linked where they are published."
        )
        if self.mode == "copy":
            return rule
        if self.mode == "link":
            return (
                f"{rule} {self.why}: these links lead to the release's own files, published "
                "beside this map (each checked by the leak gate)."
            )
        return f"{rule} {self.why}: they are offered where the publisher hosts them."


def _size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{max(1, round(n / 1e3))} kB"


def months_text(months: list[str]) -> str:
    if not months:
        return ""
    if len(months) == 1:
        return month_in_words(months[0])
    return f"{month_in_words(months[0])} to {month_in_words(months[-1])}"


def manifest_vouches(path: Path) -> Optional[Path]:
    """The release manifest beside ``path`` when it lists this file with the same size and
    SHA-256 (the file the release's leak gate passed); else None."""
    from ..release.release_files import sha256_file

    manifest = path.parent / MANIFEST_NAME
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # (no manifest this can use: none)
        return None
    if not isinstance(data, dict) or "manifest_version" not in data:
        return None
    entries = [
        e for e in data.get("outputs") or [] if isinstance(e, dict) and e.get("name") == path.name
    ]
    size = path.stat().st_size
    entries = [e for e in entries if e.get("bytes") == size]
    if not entries:
        return None
    digest = sha256_file(path)
    return manifest if any(e.get("sha256") == digest for e in entries) else None


def relative_href(target: Path, map_dir: Path) -> Optional[str]:
    """A relative link from the map folder to ``target`` when ``target`` lies inside the
    folder the map is published from (the map folder's parent); else None."""
    root = Path(os.path.abspath(map_dir)).parent
    where = Path(os.path.abspath(target))
    try:
        inside = where.relative_to(root)
    except ValueError:
        return None
    if inside.parts and inside.parts[0] == Path(map_dir).name:
        return None  # inside the map folder itself: replaced by the export
    return "../" + "/".join(quote(part) for part in inside.parts)


def checked_csv_url(url: str) -> str:
    """The address where the publisher hosts the CSVs (``--csv-url``), checked as the tile
    URL is (core.publish.webmap_export.tile_source, both through
    core.publish.webmap_inputs.split_url), or WebmapInputError naming it. Why: a value pasted
    with a line break in it went into the page's link as it was (see split_url)."""
    text = (url or "").strip()
    wanted = "give the http(s) address where the published CSVs are hosted"
    parts = split_url(text, "--csv-url", wanted)
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or any(c in text for c in "\"'<> ")
        or any(c in parts.netloc for c in ";,*")
    ):
        raise WebmapInputError(f"--csv-url {text!r}: {wanted}")
    check_url_length(text, parts, "--csv-url", wanted)
    return text


def plan_downloads(
    files: list[InputFile], map_dir: Path, copy_csv: bool, csv_url: str = ""
) -> DownloadPlan:
    """Decide how the page offers the published CSVs (see the module docstring)."""
    streets = [f for f in files if f.kind in ("street", "gpkg")]
    total = sum(f.bytes for f in streets)
    if copy_csv and total <= COPY_LIMIT_BYTES:
        return DownloadPlan("copy", [], [])
    why = (
        f"These total {_size_text(total)}"
        if copy_csv
        else "This map was made without copies of them"
    )
    links: list[dict] = []
    to_gate: list[Path] = []
    for f in streets:
        path = f.path
        href = relative_href(path, map_dir) if path is not None and f.exact_public_csv else None
        if href is None:
            links = []
            break
        assert path is not None
        vouched = manifest_vouches(path)
        if vouched is None:
            to_gate.append(path)
        links.append(
            {
                "href": href,
                "name": f.name,
                "size": _size_text(f.bytes),
                "gated": "release manifest" if vouched is not None else "gated by this export",
            }
        )
    if links:
        return DownloadPlan("link", links, to_gate, why=why)
    if csv_url:
        return DownloadPlan("hosted", [], [], url=checked_csv_url(csv_url), why=why)
    why = (
        f"the published CSVs total {_size_text(total)}, more than the "
        f"{LIMIT_TEXT} copied into a map"
        if copy_csv
        else "the CSVs are not to be copied into the map"
    )
    raise WebmapInputError(
        f"The page must link to the published CSVs, but {why}, and they are not police.uk "
        "street CSVs inside the folder the map is published from. Export the map beside the "
        "release (e.g. <release folder>/map), or give the address where the CSVs are hosted "
        "(--csv-url; CSV_URL in Processing)."
    )


def refuse_links_to_other_text(plan: DownloadPlan, inputs: ReleaseInputs) -> None:
    """WebmapInputError when the page would link to a street CSV whose bytes are not UTF-8.

    Why: a link publishes the file as it is, and the leak gate reads a published CSV as
    UTF-8 only, so a file Excel saved in Windows-1252 (which the map itself reads, as the
    load does) would fail every check as unreadable: say so plainly, before any gate."""
    if plan.mode != "link":
        return
    linked = {link["name"] for link in plan.links}
    other = [name for name in inputs.not_utf8 if name in linked]
    if other:
        raise WebmapInputError(
            f"{other[0]}: the page would link to this file as it is, but it is not UTF-8 text "
            "(Windows-1252, as Excel saves a CSV), which the leak gate cannot check as a "
            "published file. Save it again as 'CSV UTF-8', or let the map copy the CSVs "
            f"(at most {LIMIT_TEXT} in all)."
        )


def link_entries(plan: DownloadPlan, inputs: ReleaseInputs) -> list[dict]:
    """The page's list items for link mode, with each file's months and rows."""
    by_name = {f.name: (rows, months) for f, rows, months in inputs.street_files}
    out = []
    for link in plan.links:
        rows, months = by_name.get(link["name"], (0, []))
        out.append(
            {
                "href": link["href"],
                "text": f"Street-level crime, {months_text(months)} (CSV, {rows:,} rows)",
                "size": link["size"],
                "months": list(months),
            }
        )
    return out
