"""One run at a time writes a release folder (core.common.run_lock).

Why: a scheduled release and an analyst's run of the same month wrote one folder at once,
each step of one replacing the other's files, both reporting success. Real processes hold
and take the lock here (a second ``cli release``, a holder killed with SIGKILL), the real
bundled month is released, and nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crime_mapper.core.common.run_lock import (
    LOCK_SUFFIX,
    FolderBusy,
    LockNotWritten,
    folder_run_lock,
    holds,
    lock_path_for,
    output_lock,
)
from crime_mapper.core.monthly.release import (
    MANIFEST_NAME,
    ReleaseNotStarted,
    run_monthly_release,
)
from tests.support.lock_holder import HOLDER_SCRIPT, holding
from tests.support.monthly_config import MONTH, cli, config_file, quick_config
from tests.support.qgis_process import REPO, child_env

#: How the tests' holder names its run
SCHEDULER = "monthly release by the scheduler"


@pytest.fixture
def holder() -> Iterator[object]:
    """hold(folder): a separate process holding ``folder``'s run lock (returned, running)."""
    with holding() as start:
        yield lambda folder: start(folder, SCHEDULER).process


def _release(config: Path) -> subprocess.CompletedProcess:
    # (without QGIS: hotspots are not run, which the release exits 1 for, by its own rule)
    return cli("release", config, "--month", MONTH, "--no-qgis")


def test_a_second_release_of_the_month_is_refused_while_one_runs(tmp_path):
    """The second run (a real ``cli release`` of the same month, started while the first
    is in its load step) is refused at once, naming the first; the first is unharmed."""
    path = config_file(tmp_path)
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    second: list[subprocess.CompletedProcess] = []

    def on_step(step: str, state: str) -> None:
        if step == "load" and state == "running":
            second.append(_release(path))

    done = run_monthly_release(config, MONTH, on_step=on_step)
    [refused] = second
    assert refused.returncode == 2, refused.stderr[-3000:]
    text = refused.stderr
    assert "crime_mapper: error: The release did not start:" in text, text
    assert f"{out} is being written by another crime_mapper run" in text, text
    assert f"monthly release {MONTH}, process {os.getpid()}" in text, text
    assert f"on host {socket.gethostname()}, running since 20" in text, text
    assert "nothing was read or written" in text and "What to do: wait for that run" in text
    assert "Traceback" not in text
    # the first run's files are its own, and its manifest vouches for them
    assert done.manifest.is_file()
    assert not lock_path_for(out).exists() and not holds(out)
    assert [p.name for p in out.parent.iterdir()] == [MONTH]  # (no lock file left beside)
    assert not [p for p in out.rglob(f"*{LOCK_SUFFIX}")]


def test_a_killed_holder_does_not_block_the_next_run(tmp_path, holder):
    path = config_file(tmp_path)
    out = tmp_path / "out" / MONTH
    first = holder(out)
    refused = _release(path)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert f"monthly release by the scheduler, process {first.pid} on host" in refused.stderr
    assert not out.exists()  # (nothing was written: not even the month's folder)

    first.send_signal(signal.SIGKILL)  # (no clean-up: its lock file stays, unlocked)
    first.wait()
    assert lock_path_for(out).is_file()
    after = _release(path)
    assert after.returncode == 1, after.stderr[-3000:]  # (hotspots not run: no QGIS)
    assert "error" not in after.stderr, after.stderr
    assert (out / MANIFEST_NAME).is_file()
    assert not lock_path_for(out).exists()  # (the killed run's file went with the run)


def test_a_folder_inside_a_held_one_is_refused(tmp_path, holder):
    """A standalone export into the release folder (anonymise --out <month>/public) is
    refused while the month's release runs, and the month while an export into it runs."""
    month = tmp_path / "out" / MONTH
    release = holder(month)
    with pytest.raises(FolderBusy) as raised:
        with folder_run_lock(month / "public", "anonymise"):
            pass
    assert raised.value.locked == month
    assert f"process {release.pid}" in str(raised.value)
    assert "(it is writing" in str(raised.value)
    assert not lock_path_for(month / "public").exists()  # (ours went as we were refused)
    release.kill()
    release.wait()

    export = holder(month / "map")
    with pytest.raises(FolderBusy) as raised:
        with folder_run_lock(month, "monthly release"):
            pass
    assert raised.value.locked == month / "map"
    assert f"process {export.pid}" in str(raised.value)
    export.kill()
    export.wait()
    # the killed export's lock file, inside the month's folder, goes with the next run there
    assert lock_path_for(month / "map").is_file()
    with folder_run_lock(month, "monthly release") as taken:
        assert taken == lock_path_for(month) and holds(month)
        assert not lock_path_for(month / "map").exists()
    assert not holds(month) and not lock_path_for(month).exists()


def test_one_writer_locks_every_folder_it_writes_once(tmp_path, holder):
    """output_lock, the helper of every writer of an output folder: the folders of a run's
    outputs (Processing's anonymise: a CSV in the month, its audit in a folder inside it)
    are locked once each, the outermost, so the run never refuses itself; a refusal of a
    later folder lets go of the earlier ones; a lock that cannot be written is said naming
    its file (LockNotWritten), with nothing made."""
    month, other = tmp_path / "2022-10", tmp_path / "other"
    with output_lock([month, month / "audit", other, month], "anonymise"):
        assert holds(month) and holds(other) and not holds(month / "audit")
    assert not holds(month) and not list(tmp_path.glob(f".*{LOCK_SUFFIX}"))

    busy = holder(other)
    with pytest.raises(FolderBusy) as raised:
        with output_lock([month, other], "anonymise"):
            pass
    assert f"process {busy.pid}" in str(raised.value)
    assert not holds(month) and not lock_path_for(month).exists()  # (let go of)

    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(LockNotWritten) as raised:
        with output_lock(blocker / "out" / "map", "the Web map tab", name_lock=True):
            pass
    message = str(raised.value)
    assert message.startswith(f"{blocker / 'out' / 'map'} was not written: its run lock"), message
    assert str(lock_path_for(blocker / "out" / "map")) in message
    assert "nothing was read or written" in message and "[Errno" not in message
    with pytest.raises(OSError) as raw:  # (the command line's: the system's error as it is)
        with output_lock(blocker / "out", "crime_mapper.cli webmap"):
            pass
    assert not isinstance(raw.value, LockNotWritten)
    # a NUL in the output (a dock's field): said, not the OS calls' ValueError
    nul = tmp_path / "a\x00b" / "map"
    with pytest.raises(LockNotWritten, match="a path cannot hold a NUL character"):
        with output_lock(nul, "the Web map tab", nul, name_lock=True):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".other{LOCK_SUFFIX}", "a file"]


def test_a_lock_file_that_says_nothing_still_refuses(tmp_path, holder):
    """A holder that has not written its details yet (or a file not ours) is said as such."""
    folder = tmp_path / "out"
    with folder_run_lock(folder, "first"):
        lock_path_for(folder).write_bytes(b"\x00not json\n")
        process = subprocess.run(
            [sys.executable, "-c", HOLDER_SCRIPT, str(folder), SCHEDULER],
            cwd=REPO,
            env=child_env([REPO]),
            input="",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert process.returncode != 0
    assert "FolderBusy" in process.stderr
    assert "a run that has not yet said which" in process.stderr, process.stderr


def test_unfinished_projects_are_removed_only_under_the_lock(tmp_path):
    """A temporary project beside release.qgz may be a concurrent run's, being written:
    removed only by the folder's lock holder, to whom it can only be a killed run's."""
    from crime_mapper.qgis_bridge.monthly_release import (
        _remove_unfinished_projects,
        project_writing_name,
    )

    folder = tmp_path / "out" / MONTH
    folder.mkdir(parents=True)
    project = folder / "release.qgz"
    writing = project_writing_name(project)
    writing.write_bytes(b"PK\x03\x04 being written")
    _remove_unfinished_projects(project)
    assert writing.exists()
    with folder_run_lock(folder, "monthly release"):
        _remove_unfinished_projects(project)
    assert not writing.exists()


def test_standalone_exports_into_a_running_release_are_refused(tmp_path):
    """``anonymise``, ``webmap`` and ``summaries`` writing into the month's folder while its
    release runs are refused (exit 2, naming the release's process), writing nothing; the
    web map into the same folder once the release has finished is made as before."""
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli
    from tests.support.summaries_release import summaries_args

    config = quick_config(tmp_path)
    month = config.output_dir(MONTH)
    salt = tmp_path / "secret" / "release.salt"
    street = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
    commands = {
        "public": ["anonymise", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--points", street,
                   "--salt-file", salt, "--out", month / "public"],
        "map": ["webmap", street, "--out", month],
        "neighbourhoods": summaries_args({"points": street}, street, month / "neighbourhoods"),
    }  # fmt: skip
    refused: dict[str, subprocess.CompletedProcess] = {}
    month_files: list[list[str]] = []

    def on_step(step: str, state: str) -> None:
        if step == "anonymise" and state == "running":
            month_files.append(sorted(str(p) for p in month.rglob("*")))
            refused.update({k: plain_cli(*args) for k, args in commands.items()})
            month_files.append(sorted(str(p) for p in month.rglob("*")))

    done = run_monthly_release(config, MONTH, on_step=on_step)
    for folder, run in refused.items():
        assert run.returncode == 2, (folder, run.stderr[-3000:])
        assert f"monthly release {MONTH}, process {os.getpid()}" in run.stderr, run.stderr
        assert f"(it is writing {month})" in run.stderr, run.stderr
    assert len(refused) == 3 and month_files[0] == month_files[1]  # (they wrote nothing)
    assert not [p.name for p in month.glob(f".*{LOCK_SUFFIX}")]
    after = plain_cli(*commands["map"][:-2], "--out", done.out_dir)
    assert after.returncode == 0, after.stderr[-3000:]
    assert (month / "map" / "index.html").is_file()
    assert not [p.name for p in month.glob(f".*{LOCK_SUFFIX}")]


def test_the_docks_run_is_refused_in_the_same_words(tmp_path, holder):
    """The dock's release (its child process, as the dock starts it) reports the refusal as
    a failure naming the holder, with no step marked failed and none run."""
    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.qgis_bridge import release_process

    path = config_file(tmp_path)
    out = tmp_path / "out" / MONTH
    first = holder(out)
    request = release_process.child_request(read_config(path), MONTH)
    child = subprocess.run(
        [sys.executable, "-m", release_process.CHILD_MODULE],
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        env=release_process.child_environment(),
        cwd=str(release_process.PACKAGE_PARENT),
        timeout=300,
        check=False,
    )
    events = [json.loads(line) for line in child.stdout.splitlines()]
    assert [e["event"] for e in events] == ["failed"], child.stderr[-3000:]
    assert events[0]["step"] == ""
    message = events[0]["message"]
    assert message.startswith("The release did not start:"), message
    assert f"monthly release by the scheduler, process {first.pid} on host" in message
    assert not out.exists()


def test_a_link_planted_as_the_lock_file_is_refused_and_its_target_untouched(tmp_path):
    """A symbolic link where the lock file goes (planted beside a shared output folder) is
    not followed: the release does not start, says why, and the file it points to keeps
    its bytes."""
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    target = tmp_path / "precious.txt"
    target.write_text("the analyst's notes\n", encoding="utf-8")
    out.parent.mkdir(parents=True)
    lock_path_for(out).symlink_to(target)
    with pytest.raises(ReleaseNotStarted) as raised:
        run_monthly_release(config, MONTH)
    text = str(raised.value)
    assert text.startswith("The release did not start: its run lock could not be written")
    assert str(lock_path_for(out)) in text and "make the folder above" in text
    assert target.read_text(encoding="utf-8") == "the analyst's notes\n"
    assert not out.exists()


#: The command line in a process whose file system takes no locks: flock fails as it fails
#: on such a network share (ENOLCK), which no local test folder does by itself
_NO_LOCKS_CLI = """
import errno, fcntl, os, sys
def flock(fd, how):
    raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))
fcntl.flock = flock
from crime_mapper import cli
sys.exit(cli.run_as_command(sys.argv[1:]))
"""


def test_a_file_system_without_locks_runs_unlocked_and_says_so(tmp_path):
    """flock's ENOLCK (a share that takes no locks) was read as "another run holds the
    folder": every run there was refused, naming a holder that did not exist. The run now
    goes ahead without the lock (as every run did before it) and warns that a second run at
    the same time would not be refused."""
    street = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _NO_LOCKS_CLI, "webmap", str(street), "--out", str(out)],
        cwd=REPO,
        env=child_env([REPO]),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "another crime_mapper run" not in done.stderr
    assert "goes ahead without its run lock" in done.stderr, done.stderr[-3000:]
    assert (out / "map" / "index.html").is_file()
    assert not [p.name for p in tmp_path.rglob(f"*{LOCK_SUFFIX}")]  # (none left behind)
