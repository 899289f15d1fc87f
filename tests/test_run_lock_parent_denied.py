"""An output folder the analyst may write inside a folder the analyst may not
(core.common.run_lock).

Why: the run lock's file goes *beside* the output folder, so a folder IT provisions for the
analyst (``/shared/releases/2022-10`` writable, ``/shared/releases`` not) refused every
release, ``cli anonymise``, Processing algorithm and dock tab writing it, where each ran
before the lock. As on a file system that takes no locks, such a run now goes ahead without
the lock and says so; what must be refused still is (a file where a folder goes, a loop of
links, a NUL, an output folder the analyst cannot write either, a run that holds the lock,
of the folder, above it or inside it).

Real folders with real permissions: the folder above is read and search only for the
analyst. Run as root (where permissions deny nothing), the analyst is the real user
``nobody``: the command line runs in a child process with that user's ids, and the
Processing and in-process checks run with it as this process's effective user (as the OS
checks a file's permissions against), set back afterwards; the folder above stays root's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
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
from crime_mapper.core.monthly.release import MANIFEST_NAME
from tests.support.lock_holder import holding
from tests.support.monthly_config import MONTH, config_file
from tests.support.plain_cli import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HISTORY,
    NO_QGIS,
    PLAIN_PYTHON,
    plain_cli,
)
from tests.support.qgis_process import REPO

#: The analyst's ids when the tests run as root (Debian's ``nobody``)
ANALYST = 65534
AS_ROOT = os.geteuid() == 0
STREET = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
UNLOCKED = "goes ahead without its run lock"
#: How the tests' holder names its run
SCHEDULER = "monthly release by the scheduler"


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder the analyst can reach (pytest's own are root's alone when run as root)."""
    base = Path(tempfile.mkdtemp(prefix="crime_mapper-shared-"))
    base.chmod(0o755)
    yield base
    with contextlib.suppress(OSError):  # (a holder of the folder itself, killed: its file)
        lock_path_for(base).unlink()
    for folder, _dirs, _files in os.walk(base):  # (the read-only folders: writable again)
        os.chmod(folder, 0o755)
    shutil.rmtree(base)


@pytest.fixture
def hold() -> Iterator[object]:
    """hold(folder): a separate process (this user: root, or the analyst) holding
    ``folder``'s run lock, running."""
    with holding() as start:
        yield lambda folder: start(folder, SCHEDULER).process


def provision(above: Path, *names: str) -> list[Path]:
    """``above/<name>`` for each name: folders the analyst may write, in a folder ``above``
    the analyst may read and search but not write (as IT provisions them)."""
    above.mkdir(parents=True, exist_ok=True)
    folders = [above / name for name in names]
    for folder in folders:
        folder.mkdir()
        analysts(folder)
    deny(above)
    return folders


def deny(folder: Path) -> None:
    """``folder``: read and search only, for the analyst (as root: root's, mode 755)."""
    folder.chmod(0o755 if AS_ROOT else 0o555)


def analysts(*paths: Path) -> None:
    """``paths`` (and what they hold) the analyst's own (as root: chown to the analyst)."""
    if not AS_ROOT:
        return
    for path in paths:
        for root, dirs, files in os.walk(path):
            for name in [root, *(os.path.join(root, n) for n in [*dirs, *files])]:
                os.chown(name, ANALYST, ANALYST, follow_symlinks=False)
        os.chown(path, ANALYST, ANALYST, follow_symlinks=False)


@contextlib.contextmanager
def as_analyst() -> Iterator[None]:
    """This process checked as the analyst: as root, with the analyst as effective user
    (the user the OS checks permissions for), root again afterwards."""
    if not AS_ROOT:
        yield
        return
    os.setegid(ANALYST)
    os.seteuid(ANALYST)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def analyst_cli(home: Path, *args: object) -> subprocess.CompletedProcess:
    """The plain-Python command line (tests.support.plain_cli) run by the analyst: as root, a
    child process with the analyst's user and group (and no others)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    env.pop("QT_QPA_PLATFORM", None)
    ids = {"user": ANALYST, "group": ANALYST, "extra_groups": []} if AS_ROOT else {}
    return subprocess.run(
        [PLAIN_PYTHON, "-c", NO_QGIS, *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        **ids,
    )


def _denied(folder: Path) -> None:
    """The setting up denies what it should: the analyst can make nothing in ``folder``."""
    with as_analyst(), pytest.raises(PermissionError):
        (folder / "probe").write_text("", encoding="utf-8")


def _warned(text: str, folder: Path) -> None:
    """A warning line (the command line's) that the run went ahead unlocked, and why."""
    lines = [line for line in text.splitlines() if UNLOCKED in line]
    assert lines, text[-3000:]
    [line] = lines
    assert line.startswith("crime_mapper: warning: "), line
    assert f"{folder}: this run {UNLOCKED}" in line, line
    assert str(lock_path_for(folder).parent) in line and "Permission denied" in line, line
    assert "another run writing the same folder at the same time is not refused" in line


def _one_bar_warning(qgis_iface, out: Path) -> str:
    """The message bar's one warning that the run in ``out`` went ahead without its lock."""
    from qgis.core import Qgis

    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    said = [m for m in warnings if f"{out}: this run {UNLOCKED}" in m]
    assert len(said) == 1, warnings
    return said[0]


def test_the_release_runs_in_a_folder_whose_parent_denies_and_says_so(shared):
    """``cli release`` into a month folder the analyst may write, in a releases folder the
    analyst may not: it was refused ("its run lock could not be written"); it now runs,
    warns on stderr that it ran without the lock, and the manifest records the warning."""
    path = config_file(
        shared,
        out="releases/{month}",
        qa__enabled=False,
        hotspots__enabled=False,
        publish__summaries=False,
        publish__web_map=False,
        publish__project=False,
        publish__summaries_history=[],
    )
    home = shared / "home"
    home.mkdir()
    analysts(path, shared / "secret", home)
    [month] = provision(shared / "releases", MONTH)
    _denied(month.parent)
    done = analyst_cli(home, "release", path, "--month", MONTH, "--no-qgis")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "error" not in done.stderr, done.stderr[-3000:]
    _warned(done.stderr, month)
    manifest = json.loads((month / MANIFEST_NAME).read_text(encoding="utf-8"))
    [load] = [step for step in manifest["steps"] if step["step"] == "load"]
    assert any(UNLOCKED in text for text in load["warnings"]), load["warnings"]
    assert sorted(p.name for p in month.parent.iterdir()) == [MONTH]  # (no lock file)


def test_a_command_runs_in_a_folder_whose_parent_denies_and_says_so(shared):
    """``cli anonymise --out`` such a folder runs and warns; the public files are written."""
    home = shared / "home"
    home.mkdir()
    points = shared / "points.csv"
    made = plain_cli("map-points", "history", *HISTORY, "--out", points)
    assert made.returncode == 0, made.stderr[-3000:]
    salt = shared / "secret" / "force.salt"
    salt.parent.mkdir()
    salt.write_text("5f1c0e9a7b3d48e2a6c4f0b19d8e7a63\n", encoding="ascii")
    analysts(home, salt.parent, points)
    [out] = provision(shared / "releases", MONTH)
    done = analyst_cli(
        home, "anonymise", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--points", points,
        "--salt-file", salt, "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    _warned(done.stderr, out)
    assert (out / "2022-10-leicestershire-street.csv").is_file()
    assert [p.name for p in out.parent.iterdir()] == [MONTH]


def test_a_processing_algorithm_runs_in_a_folder_whose_parent_denies_and_warns(provider, shared):
    """crime_mapper:anonymise writing into such a folder was refused with a
    QgsProcessingException; it now runs and pushes a warning that it ran unlocked."""
    import processing
    from qgis.core import QgsProcessingFeedback

    from tests.support.summaries_release import points_layer

    points = shared / "points.csv"
    made = plain_cli("map-points", "history", *HISTORY, "--out", points)
    assert made.returncode == 0, made.stderr[-3000:]
    salt = shared / "secret" / "force.salt"
    salt.parent.mkdir()
    salt.write_text("5f1c0e9a7b3d48e2a6c4f0b19d8e7a63\n", encoding="ascii")
    analysts(salt.parent)
    [out] = provision(shared / "releases", MONTH)

    class Warnings(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.pushed: list[str] = []

        def pushWarning(self, warning: str) -> None:  # noqa: N802 - QGIS's name
            self.pushed.append(warning)
            super().pushWarning(warning)

    feedback = Warnings()
    params = {
        "CRIMES_FILES": [str(FORCE_EXTRACT)],
        "PROFILE": str(FORCE_PROFILE),
        "MAP_POINTS": points_layer(points),
        "LABEL_FIELD": "label",
        "SALT_FILE": str(salt),
        "PUBLIC_CSV": str(out / "2022-10-leicestershire-street.csv"),
        "PUBLIC_LAYER": str(out / "public.gpkg"),
        "AUDIT_JSON": str(out / "audit.json"),
        "AUDIT_HTML": str(out / "audit.html"),
        "MANIFEST": str(out / "manifest.json"),
    }
    with as_analyst():
        result = processing.run("crime_mapper:anonymise", params, feedback=feedback)
    assert result["ROWS_IN"] > 0
    assert (out / "2022-10-leicestershire-street.csv").is_file()
    said = [text for text in feedback.pushed if UNLOCKED in text]
    assert len(said) == 1, feedback.pushed
    assert said[0].startswith(f"{out}: this run {UNLOCKED}"), said
    assert str(out.parent) in said[0] and "Permission denied" in said[0], said
    assert [p.name for p in out.parent.iterdir()] == [MONTH]


def test_what_must_be_refused_still_is(shared):
    """Beside a folder the analyst may not write, a run still refuses what it refused: an
    output folder that is not there (the run could not make it), one the analyst cannot
    write either, a file where a folder goes, a loop of links, a NUL; nothing is made."""
    above = shared / "releases"
    [mine] = provision(above, "mine")
    above.chmod(0o755)
    (above / "theirs").mkdir()  # (root's, or read and search only: not the analyst's)
    (above / "theirs").chmod(0o755 if AS_ROOT else 0o555)
    (above / "a file").write_text("not a folder", encoding="utf-8")
    (above / "loop").symlink_to("loop")
    deny(above)
    before = sorted(p.name for p in above.iterdir())
    cases = {
        above / "missing": "Permission denied",
        above / "theirs": "Permission denied",
        above / "a file" / "out" / "map": "Not a directory",
        above / "loop" / "out": "Too many levels of symbolic links",
        above / "a\x00b": "a path cannot hold a NUL character",
    }
    with as_analyst():
        for folder, words in cases.items():
            with pytest.raises(OSError) as refused:  # (a loop: UnresolvablePath, said of it)
                with output_lock(folder, "the Web map tab", folder, name_lock=True):
                    pytest.fail(f"{folder!r} was not refused")
            assert words in str(refused.value), (folder, str(refused.value))
            if not words.startswith("Too many"):
                assert isinstance(refused.value, LockNotWritten), refused.value
                assert "nothing was read or written" in str(refused.value)
        with pytest.raises(OSError):  # (the release's and the command line's: raised as is)
            with folder_run_lock(above / "theirs", "monthly release 2022-10"):
                pytest.fail("not refused")
        # the analyst's own folder goes ahead (unlocked), a warning said through ``warn``
        said: list[str] = []
        with output_lock(mine, "the Web map tab", mine, name_lock=True, warn=said.append):
            assert not holds(mine)
        assert len(said) == 1 and f"{mine}: this run {UNLOCKED}" in said[0], said
    assert sorted(p.name for p in above.iterdir()) == before


def test_a_held_lock_still_refuses_beside_above_and_inside(shared, hold):
    """A run that could take the lock (root, the scheduler's user) holds it: the analyst's
    run beside a folder the analyst may not write is refused, naming it, whether it holds
    the folder itself, the folder above or one inside; once it ends the analyst's runs go
    ahead. A lock file its killed holder left there is no lock: the next run goes ahead."""
    above = shared / "releases"
    [month] = provision(above, MONTH)
    if not AS_ROOT:  # (the holder makes its file in the folder above: let it, then deny)
        above.chmod(0o755)
    scheduler = hold(month)
    deny(above)
    with as_analyst():
        with pytest.raises(FolderBusy) as refused:
            with folder_run_lock(month, "monthly release 2022-10"):
                pytest.fail("not refused")
    assert f"monthly release by the scheduler, process {scheduler.pid}" in str(refused.value)
    scheduler.send_signal(signal.SIGKILL)
    scheduler.wait()
    assert lock_path_for(month).is_file()  # (left: no lock, and the analyst cannot remove it)
    said: list[str] = []
    with as_analyst():
        with folder_run_lock(month, "monthly release 2022-10", warn=said.append):
            pass
    # (as root the file is root's, which the analyst can read, not write: no lock is taken,
    # and the run says so; the analyst's own file is locked as any other)
    assert len(said) == (1 if AS_ROOT else 0) and all(UNLOCKED in t for t in said), said

    inside = hold(month / "map")  # (the dock's web map, writing the month's map folder)
    upper = hold(shared)  # (a run writing the folder above the releases)
    with as_analyst():
        with pytest.raises(FolderBusy) as refused:
            with folder_run_lock(month, "monthly release 2022-10"):
                pytest.fail("not refused")
        assert refused.value.locked in (month / "map", shared), refused.value
    upper.kill()
    upper.wait()
    with as_analyst():
        with pytest.raises(FolderBusy) as refused:
            with folder_run_lock(month, "monthly release 2022-10"):
                pytest.fail("not refused")
    assert refused.value.locked == month / "map"
    assert f"process {inside.pid}" in str(refused.value)
    inside.kill()
    inside.wait()
    with as_analyst():
        with folder_run_lock(month, "monthly release 2022-10", warn=said.append):
            pass
    assert len(said) == (2 if AS_ROOT else 0), said
    assert not list(month.glob(f".*{LOCK_SUFFIX}"))  # (the killed run's, inside: removed)


def test_the_docks_anonymise_runs_in_a_folder_whose_parent_denies_and_says_so(
    qgis_iface, qgis_new_project, shared, wait_until
):
    """The Release tab's anonymise into such a folder failed ("its run lock could not be
    written"); it now runs, and the message bar (and the log) and its summary say that it
    ran without the lock."""

    from crime_mapper.core.release.map_points_files import history_points, write_map_points_gpkg
    from crime_mapper.core.release.release_files import create_salt_file
    from crime_mapper.qgis_bridge.run_load import run_load
    from crime_mapper.ui.release_panel import ReleasePanel

    october = REPO / "sample_data" / "police-uk" / "2022-10.zip"
    load = run_load([october], shared / "load")
    points = shared / "points" / "map_points.gpkg"
    write_map_points_gpkg(history_points([october]), points)
    salt = create_salt_file(shared / "secret" / "force.salt")
    analysts(salt.parent)
    [out] = provision(shared / "releases", MONTH)
    qgis_iface.messageBar().clear_messages()
    panel = ReleasePanel(qgis_iface)
    panel.set_crimes_source(str(load.gpkg))
    panel.set_points_file(str(points))
    panel.set_salt_path(str(salt))
    panel.set_output_dir(str(out))
    outcomes: list[bool] = []
    panel.anonymiseFinished.connect(outcomes.append)
    with as_analyst():
        assert panel.start_anonymise() is True
        wait_until(lambda: bool(outcomes), "the anonymise")
    assert outcomes == [True], panel.summary_view.toPlainText()
    assert (out / "2022-10-leicestershire-street.csv").is_file()
    _one_bar_warning(qgis_iface, out)
    assert panel.summary_view.toPlainText().startswith(f"Warning: {out}: this run {UNLOCKED}")
    assert [p.name for p in out.parent.iterdir()] == [MONTH]
    panel.shutdown()


def test_the_docks_load_runs_in_a_folder_whose_parent_denies_and_says_so(
    qgis_iface, dock, shared, wait_until
):
    """The Load tab's task took the lock with nowhere to say it ran without one: the
    warning reached only the QGIS log. It is now on the message bar and atop the report."""
    [out] = provision(shared / "releases", "internal")
    qgis_iface.messageBar().clear_messages()
    dock.add_inputs([str(STREET)])
    dock.set_output_dir(str(out))
    outcomes: list[bool] = []
    dock.loadFinished.connect(outcomes.append)
    with as_analyst():
        assert dock.start_load() is True
        wait_until(lambda: bool(outcomes), "the load")
    assert outcomes == [True], dock.report_view.toPlainText()
    assert (out / "rejects.csv").is_file()
    _one_bar_warning(qgis_iface, out)
    assert dock.report_view.toPlainText().startswith(f"Warning: {out}: this run {UNLOCKED}")
    assert [p.name for p in out.parent.iterdir()] == ["internal"]


def test_the_docks_qa_runs_in_a_folder_whose_parent_denies_and_says_so(
    qgis_iface, shared, wait_until
):
    """The QA tab's task, the same: the warning on the message bar, the report written."""
    from crime_mapper.ui.qa_panel import QaPanel
    from tests.support.qa_faults import BUNDLED_HISTORY, BUNDLED_MONTH

    [out] = provision(shared / "releases", "qa")
    qgis_iface.messageBar().clear_messages()
    panel = QaPanel(qgis_iface)
    try:
        panel.set_current_files([str(BUNDLED_MONTH)])
        panel.set_history_files([str(BUNDLED_HISTORY)])
        panel.set_output_dir(str(out))
        outcomes: list[bool] = []
        panel.qaFinished.connect(outcomes.append)
        with as_analyst():
            assert panel.start_qa() is True
            wait_until(lambda: bool(outcomes), "the QA")
        assert outcomes == [True], panel.verdict_label.text()
        assert (out / "qa_report.json").is_file()
        _one_bar_warning(qgis_iface, out)
        assert [p.name for p in out.parent.iterdir()] == ["qa"]
    finally:
        panel.shutdown()
        panel.deleteLater()


@pytest.mark.skipif(not AS_ROOT, reason="another user's lock file is made by root")
def test_the_docks_web_map_runs_beside_another_users_old_lock_and_says_so(
    qgis_iface, shared, wait_until
):
    """The Web map tab (a PublishTask, as the Summaries tab's) writes ``<folder>/map``,
    staging it beside ``map``, so its folder's parent must be writable. In a shared folder
    with the sticky bit (as /tmp), a lock file another user's ended run left there can be
    neither written nor removed by the analyst: the map is written without the lock, and
    the message bar says so once."""
    from crime_mapper.ui.webmap_panel import WebmapPanel

    out = shared / "releases" / MONTH
    folder = out / "map"
    folder.mkdir(parents=True)
    analysts(folder)
    out.chmod(0o1777)  # root's, anyone may add to it, each may remove only their own
    lock_path_for(folder).write_text("a colleague's run, ended\n", encoding="utf-8")
    lock_path_for(folder).chmod(0o644)
    qgis_iface.messageBar().clear_messages()
    panel = WebmapPanel(qgis_iface)
    try:
        panel.release.setFilePath(str(STREET))
        panel.tiles.setCurrentIndex(1)  # none
        panel.out.setFilePath(str(out))
        with as_analyst():
            assert panel.start() is not None
            wait_until(lambda: not panel._runner.is_running(), "the web map")
        assert panel.last_outcome == "completed", panel.last_outcome
        assert (folder / "index.html").is_file()
        said = _one_bar_warning(qgis_iface, folder)
        assert "another user's, left by a run that has ended" in said, said
        assert sorted(p.name for p in out.iterdir()) == [lock_path_for(folder).name, "map"]
    finally:
        panel.shutdown()
        panel.deleteLater()
