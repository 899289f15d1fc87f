"""The release's checks a plugin start-up may import: no numpy, no pandas.

Why a module of its own: the toolbox's anonymise algorithm declares the largest maximum
distance, and the release configuration checks it with the salt's place, when QGIS starts
and lists the plugin's algorithms. release_files, where they were, imports the data stack
(half a second of every QGIS start-up).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..common.text_file import resolved_path


class ReleaseInputError(ValueError):
    """An input of the release cannot be used; raised before any output is touched."""


def inside_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it, as the file system resolves them.
    core.common.text_file.UnresolvablePath (an OSError naming the path) when either is a
    loop of symbolic links: where it leads cannot be told, so neither can the answer."""
    path = resolved_path(path)
    folder = resolved_path(folder)
    return path == folder or folder in path.parents


#: The largest maximum snapping distance a release may ask for. Why: with 1e308 every
#: Leicestershire crime was published "On or near" a street in Newcastle (map points of
#: another force), 265 km away, the leak gate passing; the displacement was only in the
#: audit. police.uk's is 20 km; a map point 100 km away is no street near the crime.
MAX_DISTANCE_LIMIT_M = 100_000.0


def check_max_distance(max_distance_m: Any) -> float:
    """The maximum snapping distance as a positive, finite number of metres, at most
    MAX_DISTANCE_LIMIT_M."""
    try:
        distance = float(max_distance_m)
    except (TypeError, ValueError):
        distance = float("nan")
    if not (math.isfinite(distance) and distance > 0):
        raise ReleaseInputError(
            f"The maximum distance must be a positive number of metres, not {max_distance_m!r}"
        )
    if distance > MAX_DISTANCE_LIMIT_M:
        raise ReleaseInputError(
            f"The maximum distance {distance:,.0f} m is more than {MAX_DISTANCE_LIMIT_M:,.0f} m: "
            "a map point that far from a crime is no street near it (map points of another "
            "area?). police.uk uses 20,000 m"
        )
    return distance
