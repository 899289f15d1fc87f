"""A path that is a loop of symbolic links (a link to a link back to the first) is refused
with the tool's usual message, never a traceback.

Why: ``Path.resolve`` raises RuntimeError("Symlink loop from ...") for such a path on Python
3.12 and before. The release configuration's checks resolve the output folder to see
whether the salt lies inside it, so an ``output`` given as a loop crashed ``release`` (exit
1, a traceback), the Processing algorithm and the dock's problem list; ``anonymise --out``
crashed the same way, and a commit journal listing a loop crashed every writer of its
folder. The profile, salt, rules and extracts given as a loop were already refused by
their setting; they are kept here as the control.

Real loops in tmp_path, the bundled configuration, the real command line (a child
process), the real Processing algorithm.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import STAGE_PREFIX
from crime_mapper.core.common.text_file import UnresolvablePath, output_problem, resolved_path
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from tests.support.monthly_config import MONTH, cli, config_file
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, make_salt, plain_cli

LOOPED = "Too many levels of symbolic links"


def _loop(folder: Path) -> Path:
    """``folder``/loop1 -> loop2 -> loop1."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "loop1").symlink_to("loop2")
    (folder / "loop2").symlink_to("loop1")
    return folder / "loop1"


def _said_cleanly(done, *words: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 2, done.stderr[-3000:]
    for word in words:
        assert word in done.stderr, done.stderr[-3000:]


@pytest.mark.parametrize("under", ["", "/{month}"], ids=["the-loop", "a-folder-in-it"])
def test_release_refuses_an_output_folder_in_a_loop_naming_the_setting(tmp_path, under):
    loop = _loop(tmp_path / "special")
    path = config_file(tmp_path, release__output=f"{loop}{under}")
    done = cli("release", path, "--month", MONTH)
    _said_cleanly(done, "release.output", LOOPED, "The check step failed", str(loop))
    assert loop.is_symlink() and not (tmp_path / "out").exists()


LOOPED_INPUTS = [
    ("load__profile", "Mapping profile not found"),
    ("anonymise__salt_file", "Salt file not found"),
    ("anonymise__rules", "Release rules not found"),
    ("load__inputs", "Extract not found"),
]


@pytest.mark.parametrize("key, says", LOOPED_INPUTS, ids=[k for k, _ in LOOPED_INPUTS])
def test_release_refuses_an_input_in_a_loop_as_before(tmp_path, key, says):
    """The control: an input given as a loop is not found, under its setting's words."""
    loop = str(_loop(tmp_path / "special"))
    path = config_file(tmp_path, **{key: [loop] if key == "load__inputs" else loop})
    done = cli("release", path, "--month", MONTH)
    _said_cleanly(done, says, loop)


def test_the_release_and_the_dock_list_it_under_the_release(tmp_path):
    """run_monthly_release is what Processing and the dock's task run, problems_by_step
    what the dock lists under each step as the form changes."""
    loop = _loop(tmp_path / "special")
    config = read_config(config_file(tmp_path, release__output=str(loop)))
    found = config.problems_by_step(MONTH)
    assert any("release.output" in p and LOOPED in p for p in found["release"]), found
    assert not found["anonymise"], found  # (the salt's place in it is not asked)
    with pytest.raises(MonthlyReleaseError, match="release.output") as failure:
        run_monthly_release(config, MONTH)
    assert failure.value.step == "check"


def test_the_processing_algorithm_reports_it_as_an_algorithm_error(provider, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    loop = _loop(tmp_path / "special")
    path = config_file(tmp_path, release__output=str(loop))
    with pytest.raises(QgsProcessingException, match="release.output"):
        processing.run("crime_mapper:monthly_release", {"CONFIG": str(path), "MONTH": MONTH})


def test_anonymise_refuses_an_output_folder_in_a_loop(tmp_path):
    loop = _loop(tmp_path / "special")
    points = tmp_path / "points.csv"
    assert plain_cli("map-points", "history", *HISTORY, "--out", points).returncode == 0
    salt = make_salt(tmp_path / "secret" / "force.salt")
    done = plain_cli(
        "anonymise", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--points", points,
        "--salt-file", salt, "--out", loop,
    )  # fmt: skip
    _said_cleanly(done, f"The output folder {loop} cannot be used ({LOOPED})")
    assert loop.is_symlink()


def test_a_commit_journal_listing_a_loop_is_refused_not_a_crash(tmp_path):
    """A journal planted (or damaged) in a shared output folder is checked before any move
    (core.common.staging._checked_journal); one naming a loop crashed the check."""
    out = tmp_path / "out"
    loop = _loop(out)
    stage = out / f"{STAGE_PREFIX}planted"
    stage.mkdir()
    (stage / "COMMIT.json").write_text(json.dumps({"moves": [], "stages": [str(loop)]}))
    done = plain_cli("map-points", "history", *HISTORY, "--out", out / "points.csv")
    _said_cleanly(done, "the commit journal of an earlier run cannot be used", LOOPED)
    assert not (out / "points.csv").exists()


def test_resolved_path_refuses_a_loop_on_every_python(tmp_path):
    loop = _loop(tmp_path)
    for path in (loop, loop / "month"):
        with pytest.raises(UnresolvablePath) as refused:
            resolved_path(path)
        assert refused.value.errno == errno.ELOOP and isinstance(refused.value, OSError)
        assert str(refused.value) == f"{path} cannot be used ({LOOPED})"
        assert output_problem(path, "folder") == f"cannot be used ({LOOPED})"
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    assert resolved_path(tmp_path / "link" / "not yet") == (tmp_path / "real" / "not yet")


# --- every other command's output given as a loop ------------------------------------------
# Why: the mkdir of an output folder met the loop as a name that exists but is no folder, so
# load, summaries, qa, webmap (and when, salt, check-release --report and map-points, whose
# output's folder was the loop) said "File exists" or "Not a directory"; an output file
# given as a loop was replaced by the output, the link lost in silence.


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    from tests.support.summaries_release import make_release

    return make_release(tmp_path_factory.mktemp("loop_release"))


def _folder_commands(release, out):
    hoods = Path(__file__).resolve().parents[1] / "sample_data" / "neighbourhoods"
    return {
        "load": ("load", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--out", out),
        "summaries": (
            "summaries",
            FORCE_EXTRACT,
            "--profile",
            FORCE_PROFILE,
            "--points",
            release["points"],
            "--release",
            release["csv"],
            "--out",
            out,
            "--boundaries",
            hoods / "msoa11_leicestershire.geojson",
            "--code-field",
            "msoa11cd",
        ),  # fmt: skip
        "qa": (
            "qa",
            FORCE_EXTRACT,
            "--profile",
            FORCE_PROFILE,
            "--history",
            *HISTORY,
            "--out",
            out,
        ),  # fmt: skip
        "webmap": ("webmap", release["csv"], "--out", out),
        "when": ("when", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--out", out / "when.html"),
        "map-points": ("map-points", "history", *HISTORY, "--out", out / "points.csv"),
        "salt": ("salt", "--new", out / "force.salt"),
        "check-release": (
            "check-release",
            FORCE_EXTRACT,
            "--profile",
            FORCE_PROFILE,
            "--points",
            release["points"],
            "--release",
            release["csv"],
            "--report",
            out / "gate.json",
        ),  # fmt: skip
    }


FOLDER_COMMANDS = ["load", "summaries", "qa", "webmap", "when", "map-points", "salt"]
FOLDER_COMMANDS += ["check-release"]


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
@pytest.mark.parametrize("under", ["", "month"], ids=["the-loop", "a-folder-in-it"])
def test_every_output_folder_in_a_loop_is_refused_naming_it(tmp_path, release, command, under):
    loop = _loop(tmp_path / "special")
    out = loop / under if under else loop
    done = plain_cli(*_folder_commands(release, out)[command])
    assert "File exists" not in done.stderr and "Not a directory" not in done.stderr
    _said_cleanly(done, f"{out} cannot be used ({LOOPED})")
    assert loop.is_symlink() and sorted(p.name for p in loop.parent.iterdir()) == [
        "loop1",
        "loop2",
    ]


@pytest.mark.parametrize("name", ["map", "neighbourhoods"])
def test_a_map_or_summaries_folder_in_the_output_that_loops_is_refused(tmp_path, release, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(name)
    command = "webmap" if name == "map" else "summaries"
    done = plain_cli(*_folder_commands(release, out)[command])
    _said_cleanly(done, f"{out / name} cannot be used ({LOOPED})")
    assert (out / name).is_symlink() and [p.name for p in out.iterdir()] == [name]


LOOPED_FILES = [("when", "when.html"), ("map-points", "points.csv"), ("check-release", "gate.json")]


@pytest.mark.parametrize("command, name", LOOPED_FILES)
def test_an_output_file_that_is_a_loop_is_refused_not_replaced(tmp_path, release, command, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(name)
    done = plain_cli(*_folder_commands(release, out)[command])
    _said_cleanly(done, f"{out / name} cannot be used ({LOOPED})")
    assert (out / name).is_symlink()
