"""``load`` stopped by Ctrl-C (SIGINT) or SIGTERM just after its staging folder was made
leaves no staging folder behind.

Why: a stage folder was registered for clean-up (core.common.staging.Staging._stage_for)
only after it was made and its owner lock taken; an interrupt landing between the two (a
KeyboardInterrupt can land between any two lines) left the hidden
``.crime_mapper-stage-*`` folder beside the outputs until some later run in that folder
removed it. It is now registered before it is made.

The real command line in a child process, which raises the real signal on itself
(signal.raise_signal: the handler runs there and then, so the interrupt lands on the
first line run once the stage folder exists, every time, not after some wait).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE
from tests.support.qgis_process import REPO, child_env

#: The command line, interrupted by SIGNAL at the first line the staging code runs once a
#: stage folder exists in OUT (a trace on core/common/staging.py's frames only).
INTERRUPTED_CLI = """\
import os, signal, sys
from crime_mapper import cli
from crime_mapper.core.common import staging

out, name = sys.argv[1], sys.argv[2]
fired = []

def line(frame, event, arg):
    if event == "line" and not fired and os.path.isdir(out):
        if any(n.startswith(staging.STAGE_PREFIX) for n in os.listdir(out)):
            fired.append(frame.f_lineno)
            print(f"interrupted at staging.py line {frame.f_lineno}", file=sys.stderr)
            signal.raise_signal(getattr(signal, name))
    return line

def call(frame, event, arg):
    return line if frame.f_code.co_filename == staging.__file__ and not fired else None

sys.settrace(call)
code = cli.run_as_command(sys.argv[3:])
sys.settrace(None)
sys.exit(code if fired else 99)
"""


@pytest.mark.parametrize("name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_load_interrupted_once_its_stage_folder_exists_leaves_none(tmp_path, name, code):
    script = tmp_path / "interrupted_cli.py"
    script.write_text(INTERRUPTED_CLI, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable, script, out, name,
            "load", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--out", out,
        ],
        cwd=REPO, env=child_env([REPO]), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert "interrupted at staging.py line" in done.stderr, done.stderr[-3000:]
    assert done.returncode == code and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == []  # no stage folder, no output
