"""Comparing the gate's artifacts (core.gate.output_reader.Artifact) read two ways.

Why one helper: the tests of a folder or file read by a forked child (core.gate.folder_beside,
gpkg_beside) must show the child's artifact is the one a read here gives, down to the order
of its string set (the checks' joined texts and examples follow it), and its array fields
compared as bytes, not with numpy's elementwise ``==``.
"""

from __future__ import annotations

import pickle
from typing import Any

#: the Artifact fields that hold numpy arrays (compared through their pickles)
ARRAY_FIELDS = ("lon", "lat", "number_runs", "projected")
#: recorded by a child's read only (output_reader.read_file's ``record``): not compared
RECORD_FIELDS = ("added",)


def same_artifact(a: Any, b: Any) -> bool:
    """Every field equal, and the string sets in the same order."""
    va, vb = dict(vars(a)), dict(vars(b))
    pa = pickle.dumps([va.pop(k) for k in ARRAY_FIELDS])
    pb = pickle.dumps([vb.pop(k) for k in ARRAY_FIELDS])
    for k in RECORD_FIELDS:
        va.pop(k)
        vb.pop(k)
    return va == vb and pa == pb and list(a.strings) == list(b.strings)
