"""The real command line in a child process, stopped by a real Ctrl-C (SIGINT) or SIGTERM
at an exact moment of its work.

Why a trace and a self-raised signal: an interrupt (cli._interrupt's KeyboardInterrupt)
can land between any two lines; a signal sent from outside after some wait lands
wherever the child happens to be. Here the child traces the lines of the modules named
and, at the first one run once ``when`` holds (a Python expression over ``names``, the
entries of the folder watched, and ``frame``, the traced frame), raises the signal on
itself (signal.raise_signal: its handler runs there and then), so the interrupt lands on
that line every time. Only the process started here is interrupted (not a child it forks).

The child exits 99 when the moment never came (the interrupt was not tested), else with
the command's own code (130 for SIGINT, 143 for SIGTERM when it stopped in order), and
says ``interrupted at <file> line <n>`` on stderr when it fired.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support.qgis_process import REPO, child_env

_SCRIPT = """\
import importlib, os, signal, sys
from crime_mapper import cli

folder, name, modules, when = sys.argv[1:5]
files = {importlib.import_module(m).__file__ for m in modules.split(",")}
test = compile(when, "<when>", "eval")
me = os.getpid()
fired = []

def line(frame, event, arg):
    if event != "line" or fired or os.getpid() != me:
        return line
    names = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    if eval(test, {"os": os, "names": names, "frame": frame, "folder": folder}):
        fired.append(frame.f_lineno)
        where = os.path.basename(frame.f_code.co_filename)
        print(f"interrupted at {where} line {frame.f_lineno}", file=sys.stderr)
        signal.raise_signal(getattr(signal, name))
    return line

def call(frame, event, arg):
    return line if frame.f_code.co_filename in files and not fired else None

sys.settrace(call)
code = cli.run_as_command(sys.argv[5:])
sys.settrace(None)
sys.exit(code if fired else 99)
"""

#: The exit code of a command stopped by each signal (cli._interrupted: 128 + its number).
EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


def interrupted_cli(
    signal_name: str,
    folder: Path,
    modules: Sequence[str],
    when: str,
    argv: Sequence[object],
) -> subprocess.CompletedProcess:
    """``python -m crime_mapper.cli *argv`` interrupted by ``signal_name`` at the first line
    of ``modules`` (dotted names) run once ``when`` holds of ``folder`` (module docstring)."""
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(folder), signal_name, ",".join(modules), when]
        + [str(a) for a in argv],
        cwd=REPO,
        env=child_env([REPO]),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def assert_stopped_in_order(done: subprocess.CompletedProcess, signal_name: str) -> None:
    """The moment came, and the command stopped as a shell expects (130/143), no traceback."""
    assert "interrupted at " in done.stderr, done.stderr[-3000:]
    assert done.returncode == EXIT_CODES[signal_name], done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
