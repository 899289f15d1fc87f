"""A monthly release stopped by Ctrl-C (SIGINT) or SIGTERM leaves no manifest that vouches
for files which changed, says so in one line and exits 130 or 143.

Why: each step commits its own files, and the month's earlier manifest.json was removed only
when a step failed or the run was cancelled. Interrupted after the anonymise step had
replaced public/audit.json, the run left that manifest in place, vouching by SHA-256 for
the audit it no longer matched; Ctrl-C printed a KeyboardInterrupt traceback, and SIGTERM
killed the process where it stood, its staging folders left in the release folder. The
manifest is now out of the folder while the run works and goes back only if it still holds.

The bundled configuration, the real command line in a child process, which sends itself the
real signal at a commit point: the run's own hook (core.common.staging.ask_before_commits),
so the signal comes at a step boundary every time, not after some wait.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.monthly.release import MANIFEST_NAME, MANIFEST_WITHDRAWN
from crime_mapper.core.release.release_files import sha256_file
from tests.support.monthly_config import MONTH, cli, config_file, folder_files
from tests.support.qgis_process import REPO, child_env

#: The command line, signalled by itself at the first commit point of the main thread
#: (where every step's commit is asked) once ``watched`` holds other bytes than it did
#: ("-": at the first commit point).
SIGNALLED_CLI = """\
import os, signal, sys, threading
from pathlib import Path
from crime_mapper import cli
from crime_mapper.core.common.staging import ask_before_commits

watched, name = sys.argv[1], sys.argv[2]
before = Path(watched).read_bytes() if watched != "-" else None

def ask():
    main = threading.current_thread() is threading.main_thread()
    if main and (before is None or Path(watched).read_bytes() != before):
        ask_before_commits(None)
        os.kill(os.getpid(), getattr(signal, name))

ask_before_commits(ask)
sys.exit(cli.run_as_command(sys.argv[3:]))
"""


def _released(tmp_path: Path) -> Path:
    """The bundled month released once (its folder); its manifest vouches for it."""
    done = cli("release", config_file(tmp_path), "--month", MONTH)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out" / MONTH
    assert _vouches_for_every_file(out)
    return out


def _signalled_release(tmp_path: Path, signal_name: str, watched: str, **changes: object):
    script = tmp_path / "signalled_cli.py"
    script.write_text(SIGNALLED_CLI, encoding="utf-8")
    config = config_file(tmp_path, **changes)  # type: ignore[arg-type]
    return _script_run(script, watched, signal_name, "release", config, "--month", MONTH)


def _script_run(script: Path, *argv: object) -> subprocess.CompletedProcess:
    """``script`` (a command line wrapped to be signalled) run with ``argv`` in a child."""
    return subprocess.run(
        [sys.executable, script, *argv],
        cwd=REPO,
        env=child_env([REPO]),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _vouches_for_every_file(out: Path) -> bool:
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    entries = [e for step in manifest["steps"] for e in step["outputs"]]
    return bool(entries) and all(sha256_file(out / e["name"]) == e["sha256"] for e in entries)


def _staging_left(out: Path) -> list[str]:
    return [p.name for p in out.rglob(".*") if "stage" in p.name or ".old-" in p.name]


@pytest.mark.parametrize(
    "signal_name, code, says",
    [("SIGINT", 130, "Interrupted (Ctrl-C)"), ("SIGTERM", 143, "Stopped by SIGTERM")],
)
def test_a_signal_after_the_anonymise_step_replaced_the_audit_withdraws_the_manifest(
    tmp_path, signal_name, code, says
):
    out = _released(tmp_path)
    audit = out / "public" / "audit.json"
    before = audit.read_bytes()
    done = _signalled_release(tmp_path, signal_name, str(audit), anonymise__max_distance_m=5000.0)
    assert done.returncode == code, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    error = [line for line in done.stderr.splitlines() if "crime_mapper: error:" in line]
    assert len(error) == 1 and says in error[0], done.stderr[-3000:]
    assert "anonymise steps finished before it" in error[0], error
    assert MANIFEST_WITHDRAWN in error[0], error
    assert audit.read_bytes() != before  # (the anonymise step's new audit is in place)
    assert not (out / MANIFEST_NAME).exists()  # no manifest vouches for the old one
    assert _staging_left(out) == []


def test_a_signal_before_anything_changed_keeps_the_manifest_as_it_was(tmp_path):
    """The first commit point is the load's: refused, nothing changes, and the manifest
    taken out as the run began goes back, byte for byte."""
    out = _released(tmp_path)
    before = folder_files(out)
    written = os.stat(out / MANIFEST_NAME).st_mtime_ns
    done = _signalled_release(tmp_path, "SIGINT", "-")
    assert done.returncode == 130, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "crime_mapper: error: Interrupted (Ctrl-C) before any step finished." in done.stderr
    assert folder_files(out) == before and _vouches_for_every_file(out)
    assert os.stat(out / MANIFEST_NAME).st_mtime_ns == written
    assert _staging_left(out) == []


def test_a_run_killed_outright_leaves_no_stale_manifest_and_the_next_run_tidies_up(tmp_path):
    """SIGKILL (no handler runs): the manifest was out of the folder from the run's start,
    so none vouches for the new audit; the staging folder the killed step left is removed
    by the next run into that folder (core.common.staging.complete_pending), which writes
    a manifest that holds."""
    out = _released(tmp_path)
    audit = out / "public" / "audit.json"
    done = _signalled_release(tmp_path, "SIGKILL", str(audit), anonymise__max_distance_m=5000.0)
    assert done.returncode == -9, done.stderr[-3000:]
    assert not (out / MANIFEST_NAME).exists()
    assert _staging_left(out)  # (what the killed step had staged)
    again = cli("release", tmp_path / "release.toml", "--month", MONTH)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _vouches_for_every_file(out) and _staging_left(out) == []


#: The command line signalled by itself at the first commit point of the main thread (the
#: first signal), then again (the second) as the clean-up that interrupt began removes a
#: stage folder and as it puts the month's earlier manifest back: the real functions, each
#: entered just after the signal was sent.
TWICE_SIGNALLED_CLI = """\
import os, signal, sys, threading
from crime_mapper import cli
from crime_mapper.core.common import staging
from crime_mapper.core.monthly import release

first, again = getattr(signal, sys.argv[1]), getattr(signal, sys.argv[2])

def ask():
    if threading.current_thread() is threading.main_thread():
        staging.ask_before_commits(None)
        os.kill(os.getpid(), first)

def signalled_in_the_clean_up(work):
    def entered(*args, **kwargs):
        if cli._signalled:  # (the first interrupt's clean-up, not the run's own tidying)
            os.kill(os.getpid(), again)
        return work(*args, **kwargs)
    return entered

staging.ask_before_commits(ask)
staging.Staging.discard = signalled_in_the_clean_up(staging.Staging.discard)
release._write_back = signalled_in_the_clean_up(release._write_back)
sys.exit(cli.run_as_command(sys.argv[3:]))
"""


@pytest.mark.parametrize(
    "first, again, code, says",
    [
        ("SIGINT", "SIGINT", 130, "Ctrl-C ignored"),
        ("SIGTERM", "SIGTERM", 143, "SIGTERM ignored"),
    ],
)
def test_a_second_signal_during_the_clean_up_lets_it_finish(tmp_path, first, again, code, says):
    """A second Ctrl-C (or SIGTERM) while the first one's clean-up ran raised a second
    interrupt inside it: the stage folder it was removing stayed beside the outputs, and the
    month's earlier manifest, taken out as the run began, was never put back, though
    nothing had changed. Now the clean-up finishes (the later signals are ignored until the
    command has stopped), and stderr says so once."""
    out = _released(tmp_path)
    before = folder_files(out)
    written = os.stat(out / MANIFEST_NAME).st_mtime_ns
    script = tmp_path / "twice_signalled_cli.py"
    script.write_text(TWICE_SIGNALLED_CLI, encoding="utf-8")
    done = _script_run(script, first, again, "release", tmp_path / "release.toml", "--month", MONTH)
    assert done.returncode == code, done.stderr[-3000:]
    assert _staging_left(out) == []
    assert folder_files(out) == before and _vouches_for_every_file(out)
    assert os.stat(out / MANIFEST_NAME).st_mtime_ns == written
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stderr.count(says) == 1, done.stderr[-3000:]
    error = [line for line in done.stderr.splitlines() if "crime_mapper: error:" in line]
    assert len(error) == 1 and "before any step finished." in error[0], done.stderr[-3000:]
