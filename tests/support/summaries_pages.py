"""A summaries folder made from a real release, with the raw side it is gated against: the
world of the leak gate's tests of reading and checking a folder beside (folder_beside,
checks_beside and their hung children)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from crime_mapper.core.gate.context import PreparedGate
from crime_mapper.core.publish.summaries_export import export_summaries
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    make_release,
    msoa_source,
)


class _Passed:
    passed = True

    def message(self) -> str:
        return "passed"


def build_pages_world(base: Path) -> dict:
    """The raw force extract, its release's map points and table, the MSOAs, and
    ``base/pages``: the summaries folder of that release (125 pages and the index, as
    exported, not yet gated); a raw secret and a raw free-text note to plant."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.publish.summaries_run import (
        load_neighbourhoods,
        read_release,
    )
    from crime_mapper.core.release.map_points_files import read_map_points_file

    release = make_release(base / "release")
    raw = load_extracts([str(FORCE_EXTRACT)], profile=load_profile(FORCE_PROFILE)).crimes
    points = read_map_points_file(release["points"])
    hoods = load_neighbourhoods(msoa_source())
    public = read_release(release["csv"])
    folder = base / "pages"

    def keep(stage: Path, _hoods: Any) -> _Passed:
        shutil.copytree(stage, folder)
        return _Passed()

    export_summaries(public, hoods, base / "out", gate=keep)
    prep = PreparedGate(raw, points)
    secret = next(v for _, values in prep.secret_parts for v in values if len(v) >= 8)
    note = next(  # (a raw free-text note: the extra_* columns)
        v
        for col, values in prep.secret_parts
        if col.startswith("extra_")
        for v in values
        if len(v.split()) >= 8
    )
    return {
        "raw": raw,
        "points": points,
        "hoods": hoods,
        "public": public,
        "folder": folder,
        "secret": secret,
        "note": note.strip(),
    }
