"""A Ctrl-C (or SIGTERM) that a library swallows still stops the command line.

Why: the command line stops on a signal by raising KeyboardInterrupt where the code
stands. pandas' CSV reader turned one into a parse error, which the loader records as
that file's error before reading the next file: the command ran on as if no signal had
come, blamed a good file, wrote its outputs, and every later Ctrl-C was taken for one
arriving during the clean-up and ignored, so it could not be stopped at all. Now the first
signal also asks every feedback check of the process to stop (core.common.feedback.
request_stop): the command stops in order at its next check, exits as interrupted, blames
no file and writes nothing.

The real command line in a child process; the real signal raised on itself inside the
first file's read, whose KeyboardInterrupt is swallowed there as pandas' reader did.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from crime_mapper.core.common.feedback import (
    Cancelled,
    Feedback,
    ScaledFeedback,
    clear_stop,
    request_stop,
)
from tests.support.plain_cli import HISTORY
from tests.support.qgis_process import REPO, child_env

SWALLOWING_CLI = """\
import os, signal, sys
from crime_mapper import cli
from crime_mapper.core.load import loader

name = sys.argv[1]
real = loader._read_data
swallowed = []

def read_swallowing(*args, **kwargs):
    if not swallowed:
        swallowed.append(True)
        try:
            signal.raise_signal(getattr(signal, name))  # (its handler runs here)
        except KeyboardInterrupt:
            raise ValueError("Error tokenizing data") from None  # (as pandas' reader did)
    return real(*args, **kwargs)

loader._read_data = read_swallowing
code = cli.run_as_command(sys.argv[2:])
sys.exit(code if swallowed else 99)
"""


@pytest.mark.parametrize("name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_swallowed_interrupt_still_stops_the_command(tmp_path, name, code):
    script = tmp_path / "swallowing_cli.py"
    script.write_text(SWALLOWING_CLI, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(script), name, "load", *map(str, HISTORY), "--out", str(out)],
        cwd=REPO,
        env=child_env([REPO]),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == code, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "unexpected error" not in done.stderr  # (no file blamed for the interrupt)
    errors = [line for line in done.stderr.splitlines() if "crime_mapper: error:" in line]
    assert len(errors) == 1 and ("Ctrl-C" in errors[0] or "SIGTERM" in errors[0]), errors
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_a_requested_stop_cancels_every_feedback_until_cleared():
    """The flag the command line's signal handler sets: the default feedback, a stage's
    scaled one and a check all stop; cleared, they go on (a QGIS session never sets it)."""
    try:
        request_stop()
        scaled = ScaledFeedback(Feedback(), 0.0, 50.0)
        assert Feedback().is_cancelled() and scaled.is_cancelled()
        with pytest.raises(Cancelled):
            scaled.check()
    finally:
        clear_stop()
    assert not Feedback().is_cancelled()
    Feedback().check()


def test_a_forked_child_does_not_say_the_clean_up_line_again(tmp_path):
    """A forked child inherits the command's signal handler (and the terminal's Ctrl-C with
    its process group): a second signal there said "Ctrl-C ignored: the clean-up ... is
    finishing" a second time. Only the command's own process says it now."""
    import os
    import signal

    from crime_mapper import cli

    said = tmp_path / "said"
    saved = (list(cli._command_pid), list(cli._signalled))
    cli._command_pid[:] = [os.getpid()]
    cli._signalled[:] = [signal.SIGINT]  # (the first one's clean-up under way)
    try:
        pid = os.fork()
        if pid == 0:  # the child: its stderr a file, the second signal handled
            try:
                with open(said, "w", encoding="utf-8") as handle:
                    os.dup2(handle.fileno(), 2)
                    cli._interrupt(signal.SIGINT, None)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    finally:
        cli._command_pid[:], cli._signalled[:] = saved
    assert said.read_text(encoding="utf-8") == ""
