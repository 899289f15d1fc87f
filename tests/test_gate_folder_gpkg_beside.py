"""A release folder's GeoPackage read by a forked child beside the gate (core.gate.folder_beside
with core.gate.gpkg_beside: ``cli check-release FOLDER``): the same artifacts as read_output,
in its order, down to each string set's order; the same report, for the clean release and
with leaks planted in its GeoPackage; a child that fails in any way leaves the file to be
read here; an error meanwhile ends the child; no child for a small GeoPackage, a symbolic
link, or with another thread running.

Real inputs: the bundled raw force extract and map points of the leak gate's test world (its
``world``), the release anonymised from them, written as the release writes it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crime_mapper.core.gate import folder_beside, leak_gate, output_reader
from crime_mapper.core.gate.folder_beside import FolderRead
from crime_mapper.core.gate.gpkg_beside import GpkgBeside
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.release.public_schema import write_public_csv
from tests.support.artifacts import same_artifact
from tests.support.forking import another_thread, may_fork, no_children
from tests.support.written_outputs import planted_releases, release_files, write_gpkg

GPKG_NAME = "2022-10-force-street.gpkg"


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Children may be forked, and the test release's GeoPackage is large enough for one."""
    may_fork(monkeypatch)
    monkeypatch.setattr(folder_beside, "GPKG_MIN_BYTES", 0)


def _folder(path: Path, world: dict, public: Any) -> Path:
    """A release folder: the clean public CSV, ``public``'s GeoPackage, an audit page."""
    write_gpkg(path, public, GPKG_NAME)
    write_public_csv(world["public"], path / "2022-10-force-street.csv")
    (path / "audit.html").write_text(
        '<!doctype html><html lang="en"><p>Rows accepted: 10</p></html>', encoding="utf-8"
    )
    return path


def _spied(monkeypatch: pytest.MonkeyPatch) -> list[FolderRead]:
    """The FolderReads check_release starts, kept for the test to look at."""
    reads: list[FolderRead] = []
    start = FolderRead.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type, output: Any, segments: Any = None) -> Any:
        reads.append(start(cls, output, segments))
        return reads[-1]

    monkeypatch.setattr(FolderRead, "start", classmethod(spy))
    return reads


def test_the_folders_geopackage_read_beside_gives_the_direct_report(
    world: dict,
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
):
    """The clean release and leaks planted in its GeoPackage (a reference, a name, an exact
    date, a point moved off its map point): the same report (verdicts, messages, examples)
    with the GeoPackage read by its child as read here, and the child's read was used."""
    reads = _spied(monkeypatch)
    for label, public in planted_releases(world):
        folder = _folder(tmp_path / label, world, public)
        want = check_release(world["raw"], folder, world["points"]).to_dict()
        got = check_release(world["raw"], folder, world["points"], read_beside=True)
        started = reads[-1]
        assert started is not None and list(started.gpkgs) == [1], label
        assert started.gpkgs[1].from_child, label
        assert started._call is None  # (three files, no pages' child)
        assert got.to_dict() == want, label
        assert got.passed == (label == "clean"), got.message()
    assert no_children()


def test_the_artifacts_are_read_outputs(world: dict, tmp_path: Path, forking: None):
    """Every artifact, the GeoPackage's from the child's read, is read_output's, in its
    order, each string set in the same order."""
    folder = _folder(tmp_path / "release", world, world["public"])
    name, direct = output_reader.read_output(folder)
    started = FolderRead.start(folder)
    assert started is not None and started.gpkgs
    got_name, got = started.result()
    assert got_name == name
    assert [a.name for a in got] == [a.name for a in direct]
    assert [a.name for a in direct][1] == GPKG_NAME
    for a, b in zip(direct, got):
        assert same_artifact(a, b), a.name
    assert started.gpkgs[1].from_child
    assert no_children()


def _raises(path: Path, **_kw: Any) -> Any:
    raise MemoryError("no room for the read")


def _dies(path: Path, **_kw: Any) -> Any:
    os._exit(3)


def _hangs(path: Path, **_kw: Any) -> Any:
    time.sleep(3600)


def _garbage(path: Path, **_kw: Any) -> Any:
    return {"tables": [], "metadata_text": []}


@pytest.mark.parametrize("child", [_raises, _dies, _hangs, _garbage])
def test_a_failing_child_leaves_the_geopackage_to_be_read_here(
    child: Any,
    world: dict,
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
):
    """A child that raises, dies, hangs past its deadline or answers with what is not a
    GeoPackage's contents: the file is read here, the same report; a planted leak is still
    refused and the clean release passes."""
    reads = _spied(monkeypatch)
    monkeypatch.setattr(
        folder_beside,
        "GpkgBeside",
        lambda path, name, in_folder: GpkgBeside(path, name, in_folder, child, deadline_s=2.0),
    )
    for label, public in list(planted_releases(world))[:2]:  # (clean, reference)
        folder = _folder(tmp_path / label, world, public)
        want = check_release(world["raw"], folder, world["points"]).to_dict()
        began = time.monotonic()
        got = check_release(world["raw"], folder, world["points"], read_beside=True)
        assert reads[-1] is not None and not reads[-1].gpkgs[1].from_child, label
        assert got.to_dict() == want, label
        assert got.passed == (label == "clean"), got.message()
        assert time.monotonic() - began < 60  # (a hung child is killed, not waited for)
    assert no_children()


def test_pages_and_geopackage_children_together(
    world: dict,
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
):
    """A folder with both many pages and a large GeoPackage (a whole monthly output): the
    pages' child and the GeoPackage's child both read, the artifacts read_output's."""
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 2)
    folder = _folder(tmp_path / "release", world, world["public"])
    for k in range(6):
        (folder / f"page{k}.html").write_text(
            f'<!doctype html><html lang="en"><h1>Area {k}</h1><p>{k * 7} crimes</p></html>',
            encoding="utf-8",
        )
    _, direct = output_reader.read_output(folder)
    started = FolderRead.start(folder)
    assert started is not None and started.gpkgs and started.theirs
    _, got = started.result()
    for a, b in zip(direct, got, strict=True):
        assert same_artifact(a, b), a.name
    assert started.from_child == len(started.theirs)
    assert all(g.from_child for g in started.gpkgs.values())
    assert no_children()


def test_only_the_largest_geopackage_gets_a_child(
    world: dict,
    tmp_path: Path,
    forking: None,
):
    """Three GeoPackages in the folder: one child (MAX_GPKG_CHILDREN), for the largest; the
    others read here; the artifacts are read_output's."""
    folder = _folder(tmp_path / "release", world, world["public"])
    many = pd.concat([world["public"]] * 40, ignore_index=True)
    write_gpkg(folder, world["public"].head(10), "a-small.gpkg")
    write_gpkg(folder, many, "b-largest.gpkg")
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.gpkg")}
    assert max(sizes, key=sizes.get) == "b-largest.gpkg" and len(set(sizes.values())) == 3
    _, direct = output_reader.read_output(folder)
    names = [a.name for a in direct]
    started = FolderRead.start(folder)
    assert started is not None
    assert [started.names[i] for i in started.gpkgs] == ["b-largest.gpkg"]
    _, got = started.result()
    assert [a.name for a in got] == names
    for a, b in zip(direct, got):
        assert same_artifact(a, b), a.name
    assert started.gpkgs[names.index("b-largest.gpkg")].from_child
    assert no_children()


def test_no_geopackage_child_where_one_may_not_run(
    world: dict,
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
):
    """A GeoPackage under GPKG_MIN_BYTES, one that is a symbolic link, or another thread
    running: no child, the folder read here (check_release's thread, as before)."""
    folder = _folder(tmp_path / "release", world, world["public"])
    size = (folder / GPKG_NAME).stat().st_size
    monkeypatch.setattr(folder_beside, "GPKG_MIN_BYTES", size + 1)
    assert FolderRead.start(folder) is None
    monkeypatch.setattr(folder_beside, "GPKG_MIN_BYTES", size)
    started = FolderRead.start(folder)
    assert started is not None and list(started.gpkgs) == [1]
    started.stop()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / GPKG_NAME).symlink_to(folder / GPKG_NAME)
    assert FolderRead.start(linked) is None
    monkeypatch.undo()
    monkeypatch.setattr(folder_beside, "GPKG_MIN_BYTES", 0)
    from crime_mapper.core.common import forked

    monkeypatch.setattr(forked, "available", lambda: True)
    with another_thread():  # (the real guard: a thread running now refuses the fork)
        assert FolderRead.start(folder) is None
    assert no_children()


def test_an_error_meanwhile_ends_the_geopackage_child(
    world: dict,
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
):
    """The views computed meanwhile raise: the error reaches the caller and the child is
    ended and reaped (it only reads: nothing of it to undo)."""

    class Stop(BaseException):  # (an Exception is the gate's refusal, not raised)
        pass

    def fail(*_args: Any, **_kw: Any) -> None:
        raise Stop()

    folder = _folder(tmp_path / "release", world, world["public"])
    reads = _spied(monkeypatch)
    monkeypatch.setattr(
        folder_beside,
        "GpkgBeside",
        lambda path, name, in_folder: GpkgBeside(path, name, in_folder, _hangs, 600.0),
    )
    monkeypatch.setattr(leak_gate, "_compute_views", fail)
    began = time.monotonic()
    with pytest.raises(Stop):
        check_release(world["raw"], folder, world["points"], read_beside=True)
    assert reads[-1] is not None and reads[-1].gpkgs
    assert time.monotonic() - began < 60  # (not the child's 600 s deadline)
    assert no_children()


def test_check_release_command_on_a_release_folder(
    release_inputs: dict,
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
):
    """run_check_release as the command line runs it (``beside``) on a folder the release
    pipeline made, clean and with a raw reference written into its GeoPackage: the report
    the gate gives without children (refused for the planted one), the GeoPackage read by
    its child."""
    import sqlite3

    from crime_mapper.core.release.pipeline import run_check_release
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

    clean = tmp_path / "clean"
    release_files(release_inputs, clean)
    planted = tmp_path / "planted"
    shutil.copytree(clean, planted)
    reference = pd.read_csv(FORCE_EXTRACT, dtype=str).iloc[3, 0]  # (the force's own ref)
    gpkg = next(planted.glob("*.gpkg"))
    with sqlite3.connect(gpkg) as conn:
        for trigger in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{trigger[0]}"')  # (they call SpatiaLite's functions)
        table = conn.execute("SELECT table_name FROM gpkg_contents").fetchone()[0]
        conn.execute(f'UPDATE "{table}" SET "Context" = ? WHERE fid = 5', (reference,))
    conn.close()
    reads = _spied(monkeypatch)
    for folder in (clean, planted):
        reports = [
            run_check_release(
                [FORCE_EXTRACT], release_inputs["points"], folder,
                profile_path=FORCE_PROFILE, beside=beside,
            ).report.to_dict()
            for beside in (False, True)
        ]  # fmt: skip
        started = reads[-1]
        assert started is not None and len(started.gpkgs) == 1, folder.name
        assert all(g.from_child for g in started.gpkgs.values()), folder.name
        assert reports[0] == reports[1], folder.name
        assert reports[1]["passed"] == (folder == clean), reports[1]
    assert no_children()
