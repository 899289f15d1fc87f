"""Which lane of `make test` runs a QGIS-free test (tools/test_both.sh).

`make test` runs the suite on QGIS 3.22 and on 3.40 LTR at once, one lane each. A test that
reaches QGIS (tests/support/qgis_reach.py, marked ``qgis``) runs on both. A test that does
not gives the same result on either (the same Python, pandas and numpy run it), so it needs
to run once, and on either lane.

Why not all of them on 3.22: that lane then had every test, and the 3.40 lane only the
4,200 that reach QGIS. On CI's two cores the 3.22 lane took 2,034 s and the 3.40 lane
1,377 s, so the machine's second core sat idle for the last 11 minutes. The QGIS-free tests of
CORE_ON_340_PER_CENT of the test files now run on the 3.40 lane instead (marked
``lane340``), and the two lanes end at about the same time.

A whole file goes one way, so that its module-scoped fixtures are made once. The choice is a
CRC of the file's path from the repository root: the same on every machine and every run,
and a new test file is placed without anyone choosing.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: The share of the test files whose QGIS-free tests run on the 3.40 lane. 40 moves about
#: 266 s of the 3.22 lane's 511 s of such tests (measured alone, 2026-12-07). At 45 (289 s)
#: the 3.40 lane ended 70-100 s after the 3.22 lane in three CI rehearsals: on two busy
#: cores a test takes about twice its time alone, so 23 s fewer moves the two ends some
#: 45 s towards each other each.
CORE_ON_340_PER_CENT = 40


def runs_on_340(relative: str) -> bool:
    """Whether the QGIS-free tests of the test file at ``relative`` (a POSIX path from the
    repository root, "tests/test_x.py") run on the 3.40 lane rather than the 3.22 lane."""
    return zlib.crc32(relative.encode("utf-8")) % 100 < CORE_ON_340_PER_CENT


@cache
def relative_path(path: Path) -> str:
    """``path`` as runs_on_340 takes it: from the repository root, with forward slashes (a
    file outside the repository: its absolute path, so it still goes one fixed way). Cached:
    conftest asks once per collected test (14,000), for some 300 files; each resolve is a
    few system calls (0.37 s a collection uncached)."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(REPO).as_posix()
    except ValueError:
        return resolved.as_posix()
