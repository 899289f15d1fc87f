"""The command line's exit: main's code and output, garbage collected, then live objects frozen.

Why: ``python -m crime_mapper.cli`` ends through cli.run_as_command, which collects the
command's garbage once and freezes what is alive so Python's finalization does not walk every
object pandas, numpy, scipy and pyproj made (a tenth to a third of a second of a national
release's exit). These tests prove the freeze happens on the real ``python -m`` path, that
garbage with a finalizer is still finalized, and that the exit code, stdout and stderr are
exactly main's (a real subprocess on real files).
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper import cli
from tests.support.qgis_process import child_env

ROOT = Path(__file__).resolve().parent.parent
EXTRACT = ROOT / "sample_data" / "force" / "2022-10-leicestershire-force-extract.csv"
NOT_EXTRACT = ROOT / "tests" / "data" / "malformed" / "not-a-crime-extract.csv"

# runs the module as ``python -m`` does; an atexit handler registered first runs last, after
# every other handler, and reports whether the objects were frozen by then
AS_MAIN = """
import atexit, gc, runpy, sys
atexit.register(lambda: sys.stderr.write(
    "FROZEN %d %s\\n" % (gc.get_freeze_count(), ",".join(map(str, gc.get_threshold())))
))
sys.argv = ["crime_mapper.cli", *sys.argv[1:]]
runpy.run_module("crime_mapper.cli", run_name="__main__", alter_sys=True)
"""


def run(*args: object, code: str = "") -> subprocess.CompletedProcess:
    argv = [sys.executable, "-c", code, *map(str, args)] if code else [
        sys.executable, "-m", "crime_mapper.cli", *map(str, args)
    ]  # fmt: skip
    return subprocess.run(
        argv, cwd=ROOT, env=child_env([ROOT]), capture_output=True, text=True, check=False
    )


@pytest.fixture
def unfrozen():
    """Whatever a test freezes (or keeps as garbage) is let go again: the rest of the session
    collects as usual (at the thresholds it had)."""
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.set_debug(0)
    gc.garbage.clear()
    gc.unfreeze()
    gc.enable()


def test_returns_mains_code_and_freezes(monkeypatch, unfrozen):
    gc.unfreeze()
    monkeypatch.setattr(cli, "main", lambda argv=None: 3 if argv == ["x"] else 7)
    assert cli.run_as_command(["x"]) == 3
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    assert cli.run_as_command() == 7
    assert gc.get_freeze_count() > 0


def test_main_runs_at_the_commands_collector_thresholds(monkeypatch, unfrozen):
    """A command's process collects its young objects every 50,000 allocations, not 700
    (a national release's 850 young collections were some 0.5 s of its CPU)."""
    seen = []
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    monkeypatch.setattr(cli, "main", lambda argv=None: seen.append(gc.get_threshold()) or 0)
    assert cli.run_as_command([]) == 0
    assert seen == [cli.COMMAND_GC_THRESHOLDS] and cli.COMMAND_GC_THRESHOLDS[0] == 50_000


def test_cyclic_garbage_is_finalized_before_the_freeze(monkeypatch, unfrozen):
    """A finalizer on garbage in a cycle (a file object's close, say) still runs: the
    garbage is collected before the rest is frozen, never frozen with it."""
    finalized = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            finalized.append(True)

    def main(argv=None) -> int:
        Cycle()  # unreachable at once, freed only by a collection
        return 0

    gc.unfreeze()
    gc.collect()
    gc.disable()  # no automatic collection between main and the freeze
    monkeypatch.setattr(cli, "main", main)
    assert cli.run_as_command([]) == 0
    assert finalized == [True]


def test_cyclic_garbage_is_kept_not_freed(monkeypatch, unfrozen):
    """The command's cyclic garbage (a national release's gate views: some 0.3 s to free) is
    finalized but kept, not freed, just before the exit."""
    kept = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self
            kept.append(id(self))

    def main(argv=None) -> int:
        Cycle()
        return 0

    gc.unfreeze()
    gc.collect()
    gc.disable()
    monkeypatch.setattr(cli, "main", main)
    assert cli.run_as_command([]) == 0
    assert [id(o) for o in gc.garbage if isinstance(o, Cycle)] == kept
    assert gc.get_debug() == gc.DEBUG_SAVEALL


def test_a_failure_raised_out_of_main_is_not_swallowed(monkeypatch, unfrozen):
    gc.unfreeze()

    def main(argv=None) -> int:
        raise RuntimeError("unclassified")

    monkeypatch.setattr(cli, "main", main)
    with pytest.raises(RuntimeError, match="unclassified"):
        cli.run_as_command([])
    assert gc.get_freeze_count() == 0


def test_python_dash_m_freezes_and_keeps_code_and_output(tmp_path):
    """The real path: the objects are frozen at exit, and the exit code, stdout and stderr
    equal main's run in-process (a success and a documented failure)."""
    ok = run("profile", "detect", EXTRACT,
             code=AS_MAIN)  # fmt: skip
    plain = run("profile", "detect", EXTRACT)
    assert ok.stderr.splitlines()[-1].startswith("FROZEN ")
    assert int(ok.stderr.splitlines()[-1].split()[1]) > 0
    assert ok.stderr.splitlines()[-1].split()[2] == ",".join(map(str, cli.COMMAND_GC_THRESHOLDS))
    assert (ok.returncode, ok.stdout) == (plain.returncode, plain.stdout)
    assert ok.stderr.splitlines()[:-1] == plain.stderr.splitlines()

    out = tmp_path / "out"
    failed = run("load", EXTRACT, NOT_EXTRACT, "--out", out, code=AS_MAIN)
    plain_failed = run("load", EXTRACT, NOT_EXTRACT, "--out", out)
    assert failed.returncode == plain_failed.returncode == cli.EXIT_FILE_ERROR
    assert failed.stderr.splitlines()[:-1] == plain_failed.stderr.splitlines()
    assert plain_failed.stdout.strip()  # its report is there
    assert failed.stdout == plain_failed.stdout
    assert failed.stderr.splitlines()[-1].startswith("FROZEN ")
    assert int(failed.stderr.splitlines()[-1].split()[1]) > 0


def test_the_kept_garbage_gives_no_warning_at_exit():
    """Python's development mode shows every warning, the shutdown's "uncollectable objects"
    ResourceWarning included: the kept garbage gives none, and the command's output is its
    own."""
    argv = [sys.executable, "-X", "dev", "-W", "always", "-m", "crime_mapper.cli"]
    done = subprocess.run(
        [*argv, "profile", "detect", str(EXTRACT)],
        cwd=ROOT, env=child_env([ROOT]), capture_output=True, text=True, check=False,
    )  # fmt: skip
    plain = run("profile", "detect", EXTRACT)
    assert done.returncode == 0 and done.stdout == plain.stdout
    assert "uncollectable" not in done.stderr and "Warning" not in done.stderr, done.stderr
