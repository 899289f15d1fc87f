"""Python's cyclic garbage collector paused over a step that builds millions of objects.

Why: the collector runs a full pass whenever the objects made since the last one reach a
quarter of those alive, and a full pass visits every element of every live list and dict.
The leak gate, which reads and checks every output with it paused (core.gate.leak_gate.
check_release), builds millions of containers: a national web map's data scripts hold 1.25
million numbers, 125,000 coordinate pairs and 80,000 texts in lists and sets (those passes
took more of their reading than the JSON parse itself, 0.85 s against 0.15 s), a national
summaries folder's 7,203 pages make text nodes, segments and matches (about 2 s a gate
call). The gate's work makes no reference cycles worth collecting (its objects are freed by
their reference counts as before); the collector runs again, on its usual schedule, once the
step is over. Reference counting, which frees nearly everything, is never paused. The web
map export runs whole in one (reading 500,000 rows, building the page data, the gate): the
collector is process-wide, and a pause only delays the collection of reference cycles made
meanwhile, on any thread.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off inside the block, and on again after it if it was on (a
    caller that had it off keeps it off; a nested use changes nothing)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
