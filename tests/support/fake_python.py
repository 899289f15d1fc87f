"""A stand-in for the Python interpreter the web map's child process runs in
(CRIME_MAPPER_PYTHON), for tests of hostile children (tests/test_webmap_child_process.py,
tests/test_webmap_panel.py)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import Any

import pytest

#: A stand-in for the interpreter (CRIME_MAPPER_PYTHON): it answers the version question
#: as Python, logs each start, and then behaves as CM_FAKE_MODE says ("real": becomes the
#: real interpreter, so the real child runs).
FAKE_PYTHON = """#!{python}
import json, os, sys, time
if len(sys.argv) > 2 and sys.argv[1] == "-c":
    exec(sys.argv[2])
    sys.exit(0)
with open(os.environ["CM_FAKE_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
mode = os.environ.get("CM_FAKE_MODE", "real")
if mode == "real":
    os.execv({python!r}, [{python!r}] + sys.argv[1:])
sys.stdin.buffer.readline()
def say(text):
    sys.stdout.write(text + "\\n")
    sys.stdout.flush()
if mode == "garbage":
    say('{{"event": "progress", "value": 10}}')
    say("Traceback (most recent call last): not a protocol line")
elif mode == "false_result":
    say('{{"event": "finished", "result": {{"out_dir": "x", "crimes": "many"}}}}')
elif mode == "exit_after_finished":
    say(json.dumps({{"event": "finished", "result": json.loads(os.environ["CM_FAKE_RESULT"])}}))
    sys.exit(3)
elif mode == "hang":
    time.sleep(120)
sys.exit(0)
"""


def install_fake_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """CRIME_MAPPER_PYTHON set to the stand-in; ``starts()`` lists its child starts."""
    script = tmp_path / "fake-python"
    script.write_text(FAKE_PYTHON.format(python=sys.executable), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "fake-python.log"
    log.write_text("", encoding="utf-8")
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", str(script))
    monkeypatch.setenv("CM_FAKE_LOG", str(log))
    monkeypatch.setenv("CM_FAKE_MODE", "real")

    def starts() -> list[str]:
        return log.read_text(encoding="utf-8").splitlines()

    return {"path": script, "starts": starts}
