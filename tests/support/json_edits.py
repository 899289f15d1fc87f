"""Values of a JSON document replaced, place by place: how the hostile-input tests put a
value of another type where a real file or saved entry had one (two test modules)."""

from __future__ import annotations

import copy
from typing import Any, Optional


def json_places(value: Any, first_items: Optional[int] = None, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON value, as key paths, the value itself first (``first_items``:
    only that many items of each array, for large documents)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += json_places(item, first_items, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:first_items]):
            found += json_places(item, first_items, (*path, i))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    """A copy of ``value`` with ``new`` at ``path`` (KeyError, IndexError or TypeError when
    the place is not there)."""
    if not path:
        return copy.deepcopy(new)
    out = copy.deepcopy(value)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = copy.deepcopy(new)
    return out
