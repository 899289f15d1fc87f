"""Forked children under attack (core.common.forked, core.publish.webmap_beside): children
that die, raise, hang or send garbage, and what the caller is left with (its error, no
child process, no file descriptor, no staged folder, the collector unfrozen).

A case that could hang for ever on a defect is run in a Python process of its own with a
time limit (no timing is asserted: the limit only turns a hang into a failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.forking import files_in, may_fork, no_children

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")

ROOT = Path(__file__).resolve().parent.parent
HANG_LIMIT_S = 300  # a case that has not ended by then is taken as hung


def _run_case(body: str, tmp_path: Path) -> dict:
    """Run ``body`` (which sets ``out``, a dict) in a fresh Python process; its ``out``."""
    script = tmp_path / "case.py"
    result = tmp_path / "out.json"
    script.write_text(
        "import gc, json, os, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "def fds():\n"
        "    return sorted(os.listdir('/proc/self/fd'))\n"
        "def no_children():\n"
        "    from crime_mapper.core.common import forked\n"
        "    forked.reap_left()\n"
        "    try:\n"
        "        os.waitpid(-1, os.WNOHANG)\n"
        "    except ChildProcessError:\n"
        "        return True\n"
        "    return False\n"
        "out = {}\n"
        + textwrap.dedent(body)
        + f"\nopen({str(result)!r}, 'w').write(json.dumps(out))\n",
        encoding="utf-8",
    )
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=str(tmp_path),
            capture_output=True,
            text=True,
            timeout=HANG_LIMIT_S,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the case hung (a caller waiting on a child that waits on it)")
    assert done.returncode == 0, done.stderr
    return json.loads(result.read_text(encoding="utf-8"))


# --- webmap_beside.StagedBeside ---------------------------------------------------------------
@pytest.mark.parametrize("where", ["stage", "gate"])
def test_a_long_error_in_the_child_is_raised_here_not_waited_on_for_ever(
    tmp_path: Path, where: str
):
    """An error whose pickle does not fit a pipe's buffer (64 KiB on Linux), raised while
    staging or while the child gates the staged folder: the child could not send it while
    the folder's pipe was still open, and this process waited for that pipe to close before
    reading the error: both waited for ever. The error comes back whole, the staged folder
    is removed, and no child or file descriptor is left."""
    out = _run_case(
        f"""
        from pathlib import Path
        from types import SimpleNamespace
        from crime_mapper.core.common.feedback import Feedback
        from crime_mapper.core.publish.webmap_beside import StagedBeside

        before = fds()
        folder = Path("staged")
        long_text = "x" * 200_000

        def stage(feedback):
            if {where!r} == "stage":
                raise ValueError(long_text)
            folder.mkdir()
            (folder / "index.html").write_text("<p>map</p>")
            return SimpleNamespace(stage=folder.resolve())

        def gate(staged):
            raise ValueError(long_text)

        beside = StagedBeside(stage, gate)
        try:
            beside.staged(Feedback())
            beside.result(Feedback())
        except ValueError as exc:
            out["error"] = str(exc) == long_text
        finally:
            beside.stop()
        out["folder_left"] = folder.exists()
        out["no_children"] = no_children()
        out["fds_same"] = fds() == before
        out["frozen"] = gc.get_freeze_count()
        """,
        tmp_path,
    )
    assert out == {
        "error": True,
        "folder_left": False,
        "no_children": True,
        "fds_same": True,
        "frozen": 0,
    }


# --- the web map export made beside (real inputs) ---------------------------------------------
from tests.support.forking import forked_pids  # noqa: E402
from tests.support.webmap_world import build_webmap_world, leftovers, webmap_options  # noqa: E402


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Real raw crimes, map points, the release clean and with leaks, outlines."""
    return build_webmap_world(tmp_path_factory.mktemp("webmap_gate_views"))


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked by the export (their process ids)."""
    return forked_pids(monkeypatch)


@pytest.fixture
def previous(world: dict, tmp_path: Path) -> Path:
    """A map already in place (made here)."""
    from crime_mapper.core.publish.webmap_export import export_webmap

    out = tmp_path / "out" / "map"
    export_webmap(webmap_options(world, out))
    return out


@pytest.mark.parametrize("how", ["killed", "raised"])
def test_a_child_that_dies_while_writing_leaves_no_staging_folder(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    previous: Path,
    how: str,
):
    """The child killed (out of memory, SIGKILL) or failing while it writes the staged
    folder, before it has said where the folder is: the previous map stays, and no
    half-written staging folder is left beside it (this process survives the child, so
    it removes what the child began)."""
    import signal

    from crime_mapper.core.publish import webmap_export
    from crime_mapper.core.publish.webmap_export import export_webmap

    may_fork(monkeypatch)
    kept = files_in(previous)

    def die_half_way(stage: Path, *args: object, **kwargs: object) -> object:
        (stage / "index.html").write_text("<p>half</p>", encoding="utf-8")
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise MemoryError("out of memory half way")

    monkeypatch.setattr(webmap_export, "_write_folder", die_half_way)
    with pytest.raises((RuntimeError, MemoryError)):
        export_webmap(webmap_options(world, previous, export_beside=True))
    assert len(forks) == 1 and no_children()
    assert files_in(previous) == kept
    assert leftovers(previous.parent) == []


def test_a_monthly_releases_map_child_killed_while_writing_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The monthly release's web map made beside the summaries (publish_beside): its child
    killed while it writes the map's staging folder. The release fails with the child's
    death as its error, the previous map stays, and no staging folder is left in the
    release's folder."""
    import signal

    from crime_mapper.core.common.forked import ForkedCall
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
    from crime_mapper.core.publish import webmap_export
    from tests.support.monthly_config import MONTH, left_behind, released_before, step_runners

    made: list[int] = []
    real = ForkedCall.__init__

    def init(self: object, work: object) -> None:
        real(self, work)  # type: ignore[arg-type]
        made.append(self.pid)  # type: ignore[attr-defined]

    monkeypatch.setattr(ForkedCall, "__init__", init)
    may_fork(monkeypatch)
    config, out_dir, before = released_before(tmp_path)
    here = os.getpid()
    write = webmap_export._write_folder

    def die_half_way(stage: Path, *args: object, **kwargs: object) -> object:
        if os.getpid() != here:
            (stage / "index.html").write_text("<p>half</p>", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
        return write(stage, *args, **kwargs)

    monkeypatch.setattr(webmap_export, "_write_folder", die_half_way)
    with pytest.raises(MonthlyReleaseError, match="stopped unexpectedly"):
        run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(made) >= 1 and no_children()
    assert files_in(out_dir / "map") == before
    assert left_behind(out_dir) == []


def test_a_child_stopped_twice_is_killed_once(tmp_path: Path):
    """StagedBeside.stop called again (a failure path, then the export's own clean-up): the
    child, killed and reaped by the first call, is not signalled again (its process id may
    be another process's by then)."""
    out = _run_case(
        """
        import os, signal, threading
        from pathlib import Path
        from types import SimpleNamespace
        from crime_mapper.core.common.feedback import Feedback
        from crime_mapper.core.publish.webmap_beside import StagedBeside

        folder = Path("staged")

        def stage(feedback):
            folder.mkdir()
            return SimpleNamespace(stage=folder.resolve())

        def gate(staged):
            threading.Event().wait(600)  # (a long check: it is killed)

        signals = []
        kill = os.kill

        def spy(pid, sig):
            signals.append(sig)
            kill(pid, sig)

        os.kill = spy
        beside = StagedBeside(stage, gate)
        beside.staged(Feedback())
        beside.stop()
        beside.stop()
        out["signals"] = signals
        out["folder_left"] = folder.exists()
        out["no_children"] = no_children()
        """,
        tmp_path,
    )
    assert out == {"signals": [9], "folder_left": False, "no_children": True}


# --- two exports into one folder at once ------------------------------------------------------
def test_two_map_commits_into_one_folder_at_once_swap_one_after_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A second export's commit begins just after the first has moved the previous map
    aside (between its two renames). Both succeed, one after the other: the second's map
    is in place whole, and neither the previous map nor a staging folder is left behind."""
    import threading

    from crime_mapper.core.publish import webmap_export

    target = tmp_path / "map"
    target.mkdir()
    (target / "index.html").write_text("previous", encoding="utf-8")
    stages = []
    for who in ("first", "second"):
        stage = tmp_path / f".map.staging-{who}"
        stage.mkdir()
        (stage / "index.html").write_text(who, encoding="utf-8")
        stages.append(stage)
    replace = os.replace
    errors: list[BaseException] = []

    def second() -> None:
        try:
            webmap_export._commit_folder(stages[1], target)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    other = threading.Thread(target=second)

    def first_aside_then_second(src: object, dst: object) -> None:
        replace(src, dst)  # type: ignore[arg-type]
        if Path(str(src)) == target and not other.is_alive() and not errors:
            other.start()  # (the second commit runs now, beside the first's swap)
            other.join(2.0)  # (it ends here unless it waits for the first)

    monkeypatch.setattr(os, "replace", first_aside_then_second)
    webmap_export._commit_folder(stages[0], target)
    other.join()
    assert errors == []
    assert (target / "index.html").read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map"]


# --- the export run from QGIS in a child process of its own -----------------------------------
def test_a_killed_export_process_removes_its_staging_not_another_exports(tmp_path: Path):
    """The web map's child process (core.publish.webmap_process) killed once it has
    reported progress, while another export (this process) stages beside the same map:
    its own staging folder is removed, the other export's is not (it was removed too:
    every staging folder that appeared while the child ran was taken for the child's)."""
    import signal
    import sys

    from crime_mapper.core.common.feedback import Feedback
    from crime_mapper.core.publish import webmap_staging
    from crime_mapper.core.publish.webmap_export import staging_prefix
    from crime_mapper.core.publish.webmap_process import (
        ChildExportError,
        export_in_child,
        request_bytes,
    )
    from crime_mapper.qgis_bridge.release_process import PACKAGE_PARENT, child_environment
    from tests.support.forking import group_gone
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE
    from tests.support.webmap_release import OCT, points_csv

    out = tmp_path / "out"
    (out / "map").mkdir(parents=True)
    (out / "map" / "index.html").write_text("previous", encoding="utf-8")
    started: list[int] = []
    other = out / (staging_prefix(out / "map") + "other")

    class KillAt(Feedback):
        def set_progress(self, percent: float) -> None:
            if percent >= 35 and started and not other.exists():
                other.mkdir()  # (another export's, begun while the child runs)
                (other / "index.html").write_text("theirs", encoding="utf-8")
                webmap_staging.hold(other)  # (held by its export, as every export does)
                os.kill(started[0], signal.SIGKILL)

    request = request_bytes(
        [OCT], out / "map", raw=[str(FORCE_EXTRACT)],
        points=str(points_csv(tmp_path)), profile_path=FORCE_PROFILE,
        # (it waits before its swap until killed: a child that went faster than this
        # process read its progress had moved its map into place before the kill)
        settings={"tiles": "none", "before_commit": signal.pause},
    )  # fmt: skip
    with pytest.raises(ChildExportError, match="ended without a result"):
        export_in_child(
            sys.executable,
            request,
            out / "map",
            KillAt(),
            env=child_environment(),
            cwd=str(PACKAGE_PARENT),
            on_started=started.append,
        )
    assert group_gone(started[0])
    assert sorted(p.name for p in out.iterdir()) == sorted(["map", other.name])
    assert (other / "index.html").read_text(encoding="utf-8") == "theirs"
    assert (out / "map" / "index.html").read_text(encoding="utf-8") == "previous"
    webmap_staging.release(other)
