"""A GeoPackage read ahead by a forked child (issue 15; core.gate.gpkg_beside,
leak_gate.read_ahead) gives exactly the artifact, and so every verdict, message and example,
that reading it here gives; a child that fails in any way (raises, dies, hangs, sends back
something that is not a GeoPackage's contents) leaves the file to be read here, so the gate
still refuses what it refuses without the child, and never passes on the child's word.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import gpkg_beside, output_reader
from crime_mapper.core.gate.gpkg_beside import GpkgBeside
from crime_mapper.core.gate.leak_gate import check_release, prepare_gate, read_ahead
from crime_mapper.core.io.gpkg_read import GpkgContents, read_geopackage
from tests.support import written_outputs
from tests.support.forking import another_thread, no_children
from tests.support.written_outputs import (
    certain_tables,
    gpkg_artifact_facts,
    planted_releases,
    write_gpkg,
)


def _beside(path: Path, **kw) -> GpkgBeside:
    if kw:
        return GpkgBeside(path, path.name, False, **kw)
    started = GpkgBeside.start(path, min_bytes=0)
    assert started is not None  # (the machine has two cores: forked.available)
    return started


def test_the_childs_read_gives_the_files_verdicts(world, tmp_path):
    """The real release and leaks planted in it: the same report (verdicts, messages,
    examples) from the child's read as from a read here, and the child's read was used."""
    for label, public in planted_releases(world):
        path, _written = write_gpkg(tmp_path / label, public)
        want = check_release(world["raw"], path, world["points"]).to_dict()
        ahead = _beside(path)
        report = check_release(world["raw"], ahead, world["points"])
        assert ahead.from_child, label
        assert report.to_dict() == want, label
        assert report.passed == (label == "clean"), report.message()
    assert no_children()


@pytest.mark.parametrize("kind", ["plain-hostile", "quotes-and-breaks", "many-rows", "no-rows"])
def test_the_childs_read_is_the_artifact_read_here(kind, tmp_path, monkeypatch):
    """Every part of the artifact, its string set's order included (the checks' examples
    come from it), is the one a read here gives; also for a table large enough for the
    sampled, threaded scan (inside the child)."""
    path, _written = write_gpkg(tmp_path, certain_tables()[kind])
    want = gpkg_artifact_facts(path)
    ahead = _beside(path)
    result = ahead.result()
    monkeypatch.setattr(written_outputs, "read_output", lambda _output: result)
    got = gpkg_artifact_facts(path)  # (the facts of the child's artifact: the helper's read)
    assert ahead.from_child
    assert got == want
    assert list(got[1][0][4]) == list(want[1][0][4])  # (the set's iteration order)
    assert no_children()


@pytest.mark.parametrize("kind", ["plain-hostile", "many-rows", "points", "duplicate-pairs"])
def test_the_child_sends_the_coordinates_not_the_pairs(kind, tmp_path, monkeypatch):
    """Where the scan gave a table's Longitude/Latitude pairs, the child parses them and
    sends the coordinates (and the bad rows' messages) instead: the artifact is the one a
    read here gives, and this process parses no pair (its parser fails if called)."""
    path, _written = write_gpkg(tmp_path, certain_tables()[kind])
    want = gpkg_artifact_facts(path)
    ahead = _beside(path)

    def parsed_here(*_args):
        raise AssertionError("the pairs were parsed in the gate's process")

    monkeypatch.setattr(output_reader, "_rows_coords", parsed_here)
    answer = ahead._answer()
    contents, coords = answer
    assert len(coords) == 1 and coords[0] is not None
    assert contents.tables[0].pairs is None  # (not sent: its coordinates are)
    ahead._answer = lambda: answer
    result = ahead.result()
    assert ahead.from_child
    monkeypatch.setattr(written_outputs, "read_output", lambda _output: result)
    assert gpkg_artifact_facts(path) == want
    if kind == "plain-hostile":
        assert result[1][0].bad_coordinates  # (the messages came from the child)
    assert no_children()


def _faulty(real):
    """The child's coordinates (one table's) made faulty in each way the parent refuses."""
    lon, lat, found = real[0]
    return {
        "float32": [(lon.astype(np.float32), lat, found)],
        "sizes": [(lon, lat[:-1], found)],
        "2-d": [(lon.reshape(1, -1), lat.reshape(1, -1), found)],
        "lists": [(lon.tolist(), lat.tolist(), found)],
        "message-bytes": [(lon, lat, [b"x"])],
        "too-many": real + [None],
        "tuple": tuple(real),
        "two-parts": [(lon, lat)],
    }


@pytest.mark.parametrize(
    "fault",
    ["float32", "sizes", "2-d", "lists", "message-bytes", "too-many", "tuple", "two-parts"],
)
def test_coordinates_of_the_wrong_shape_are_read_here(fault, world, tmp_path, monkeypatch):
    """A child whose coordinates are not float64 vectors of one size with text messages,
    one per table: its answer is not used; the file is read here, with the same report."""
    path, _written = write_gpkg(tmp_path, world["public"])
    want = check_release(world["raw"], path, world["points"]).to_dict()
    read = read_geopackage(path, **output_reader.read_options())
    assert output_reader.gpkg_pair_coords(read)[0] is not None  # (the child has some to send)

    def faulty_coords(contents):
        return _faulty(output_reader.gpkg_pair_coords(contents))[fault]

    monkeypatch.setattr(gpkg_beside, "gpkg_pair_coords", faulty_coords)  # (the child's)
    ahead = _beside(path)
    monkeypatch.undo()
    report = check_release(world["raw"], ahead, world["points"])
    assert not ahead.from_child
    assert report.to_dict() == want
    assert no_children()


def _raises(path, **_kw):
    raise MemoryError("no room for the read")


def _dies(path, **_kw):
    os._exit(3)


def _hangs(path, **_kw):
    time.sleep(3600)


def _garbage(path, **_kw):
    return {"tables": [], "metadata_text": []}


def _empty_contents(path, **_kw):
    return GpkgContents(tables=[], metadata_text=[])  # (well formed: a file with no table)


def _bad_table(path, **kw):
    contents = read_geopackage(path, **kw)
    contents.tables[0].distinct = {"Location": "On or near A"}  # (a str, not a list)
    return contents


@pytest.mark.parametrize("child", [_raises, _dies, _hangs, _garbage, _bad_table])
def test_a_failing_child_leaves_the_file_to_be_read_here(child, world, tmp_path):
    """Leaks planted in the release: a child that raises, dies, hangs (past its deadline)
    or answers with what is not a GeoPackage's contents gives the verdict of a read here:
    the gate refuses the leaking files and passes only the clean one."""
    for label, public in planted_releases(world):
        path, _written = write_gpkg(tmp_path / label, public)
        want = check_release(world["raw"], path, world["points"]).to_dict()
        started = time.monotonic()
        ahead = _beside(path, read=child, deadline_s=2.0)
        report = check_release(world["raw"], ahead, world["points"])
        assert not ahead.from_child, label
        assert report.to_dict() == want, label
        assert report.passed == (label == "clean"), report.message()
        assert time.monotonic() - started < 60  # (a hung child is killed, not waited for)
    assert no_children()


def test_a_well_formed_answer_is_what_the_artifact_is_made_of(world, tmp_path):
    """What the child sends is used as read_geopackage's answer (the child runs our own
    reader on the file; this shows the parent makes its artifact from it): an answer of no
    table leaves only the file's schema-free artifact, whose checks pass on nothing."""
    path, _written = write_gpkg(tmp_path, world["public"])
    ahead = _beside(path, read=_empty_contents)
    name, arts = ahead.result()
    assert ahead.from_child and name == str(path)
    assert arts[0].kind == "gpkg" and arts[0].schemas == [] and not arts[0].strings


def test_read_ahead_forks_only_where_it_may(world, tmp_path):
    """A GeoPackage under the size worth a child, a file of another type, a symbolic link,
    a DataFrame, or another Python thread running: the output is returned as it is (read
    here by check_release)."""
    path, written = write_gpkg(tmp_path, world["public"])
    assert read_ahead(path) is path  # (a small file: not worth a child)
    assert read_ahead(written) is written
    csv = tmp_path / "public.csv"
    csv.write_text("Crime ID\nx\n", encoding="utf-8")
    assert GpkgBeside.start(csv, min_bytes=0) is None
    link = tmp_path / "link.gpkg"
    link.symlink_to(path)
    assert GpkgBeside.start(link, min_bytes=0) is None
    assert GpkgBeside.start(tmp_path / "missing.gpkg", min_bytes=0) is None
    assert GpkgBeside.start(world["public"], min_bytes=0) is None
    with another_thread():
        assert GpkgBeside.start(path, min_bytes=0) is None
    started = GpkgBeside.start(path, min_bytes=0)
    assert started is not None
    started.stop()
    assert no_children()


def test_a_call_that_fails_ends_the_child(world, tmp_path):
    """A preparation of other inputs makes check_release raise before it reads: the child
    reading ahead is ended and reaped all the same."""
    path, _written = write_gpkg(tmp_path, world["public"])
    other = prepare_gate(world["raw"].iloc[:10], world["points"])
    ahead = _beside(path, read=_hangs, deadline_s=600.0)
    with pytest.raises(ValueError):
        check_release(world["raw"], ahead, world["points"], prepared=other)
    assert no_children()
