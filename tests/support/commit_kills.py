"""A commit killed at each of its steps (core.common.staging): a child Python whose Nth
flush, rename or removal during Staging.commit ends it, and the folders' state compared
before and after. Two test modules (the release's commit, stage folders) kill commits so.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from crime_mapper.core.common.staging import JOURNAL, STAGE_PREFIX, stage_folders

ROOT = Path(__file__).resolve().parents[2]

# Installs the kill switch in a child: the Nth commit step (a flush, rename or removal made
# while Staging.commit runs) ends the process before it happens. Prints the step count when
# the commit completes, so the parent knows how many steps there are.
KILL_SWITCH = """
import os, shutil, sys
from pathlib import Path
from crime_mapper.core.common import staging

KILL_AT = int(os.environ["KILL_AT"])
steps = [0]

def step(name, real):
    def wrapped(*args, **kwargs):
        steps[0] += 1
        if steps[0] == KILL_AT:
            os._exit(9)
        return real(*args, **kwargs)
    return wrapped

real_commit = staging.Staging.commit

def commit(self):
    os.replace = step("replace", os.replace)
    os.fsync = step("fsync", os.fsync)
    shutil.rmtree = step("rmtree", shutil.rmtree)
    Path.unlink = step("unlink", Path.unlink)
    try:
        real_commit(self)
    finally:
        print(f"COMMIT_STEPS={steps[0]}", file=sys.stderr)

staging.Staging.commit = commit
"""


def run_killed_at(script: str, args: list[str], kill_at: int) -> subprocess.CompletedProcess:
    """``script`` run in a child Python with the kill switch (0: never killed)."""
    env = dict(os.environ, KILL_AT=str(kill_at), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", KILL_SWITCH + script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def snapshot_hashes(*folders: Path) -> dict[str, str]:
    """Every file under the folders (stage folders excluded) and its SHA-256."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(p.startswith(STAGE_PREFIX) for p in path.parts):
                key = str(path.relative_to(folder.parent))
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def journal_written(*folders: Path) -> bool:
    """Whether a stage folder of these folders holds a commit journal (a commit under way)."""
    return any((s / JOURNAL).exists() for f in folders for s in stage_folders(f))
