"""The release reads the map points in a thread while it reads the crimes (issue 15): the
same inputs, manifest entries and errors as reading them one after the other.

Why: on two cores the two reads overlap (a national release reads 500,000 crimes and
750,000 map points), but nothing a user sees may depend on it: the same tables and manifest
entries, and when both inputs are bad, the map points' error (the points were read first).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.release import pipeline
from crime_mapper.core.release.map_points import MapPointsError, write_map_points_csv
from crime_mapper.core.release.map_points_files import history_points
from crime_mapper.core.release.release_files import ReleaseInputError
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY


@pytest.fixture(scope="module")
def points_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("release_inputs") / "points.csv"
    write_map_points_csv(history_points(list(HISTORY)), path)
    return path


def _open(crimes, points, beside: bool, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_readable_beside", lambda *args: beside)
        profile = pipeline.release_profile(FORCE_PROFILE)
        clock = pipeline.StepClock()
        try:
            result = pipeline.open_release_inputs(crimes, points, profile, Feedback(), 5, 30, clock)
        except ReleaseInputError as exc:
            return ("raised", str(exc))
    source, point_set, entry = result
    assert list(clock.timings) == ["read_crimes", "read_map_points"] or not beside
    return source, point_set, entry


def test_reading_both_at_once_equals_reading_one_after_the_other(points_csv, monkeypatch):
    assert pipeline._readable_beside(str(points_csv), [FORCE_EXTRACT])
    both = _open([FORCE_EXTRACT], str(points_csv), True, monkeypatch)
    apart = _open([FORCE_EXTRACT], str(points_csv), False, monkeypatch)
    pd.testing.assert_frame_equal(both[0].crimes, apart[0].crimes)
    pd.testing.assert_frame_equal(both[0].rejects, apart[0].rejects)
    assert both[0].description == apart[0].description
    for name in ("longitude", "latitude", "label", "source", "addresses", "lsoa_code"):
        assert getattr(both[1], name).tolist() == getattr(apart[1], name).tolist(), name
    assert both[2] == apart[2]


@pytest.mark.parametrize("beside", [True, False])
def test_the_map_points_error_wins_when_both_inputs_are_bad(beside, tmp_path, monkeypatch):
    bad_points = tmp_path / "points.csv"
    bad_points.write_text("nothing,here\n1,2\n", encoding="utf-8")
    bad_crimes = tmp_path / "crimes.csv"
    bad_crimes.write_text("a,b\n1,2\n", encoding="utf-8")
    outcome = _open([bad_crimes], str(bad_points), beside, monkeypatch)
    assert outcome[0] == "raised" and outcome[1].startswith("Map points:"), outcome
    good = _open([bad_crimes], str(tmp_path / "missing.csv"), beside, monkeypatch)
    assert good[0] == "raised" and "map points file not found" in good[1]


class _PointsBroke(RuntimeError):
    pass


class _CrimesBroke(RuntimeError):
    pass


def _both_fail(points_error: BaseException, crimes_error: BaseException, monkeypatch):
    """open_release_inputs read beside, with the points' read raising ``points_error`` (in
    its thread) and the crimes' read raising ``crimes_error`` (on this one): what it raises."""

    def bad_points(*args, **kwargs):
        raise points_error

    def bad_crimes(*args, **kwargs):
        raise crimes_error

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "resolve_points", bad_points)
        patch.setattr(pipeline, "open_crimes_source", bad_crimes)
        with pytest.raises(BaseException) as raised:
            pipeline.open_release_inputs(
                ["crimes.csv"], "points.csv", None, Feedback(), 5, 30, pipeline.StepClock()
            )
    return raised.value


def test_read_beside_the_points_error_wins_raised_from_none(monkeypatch):
    """Both reads fail: the map points' own error object is raised (as when the points are
    read first), ``from None`` so that the crimes' error is not shown as its cause, but it
    is kept as the context (a traceback does not print it)."""
    monkeypatch.setattr(pipeline, "_readable_beside", lambda *args: True)
    points_error, crimes_error = _PointsBroke("points"), _CrimesBroke("crimes")
    raised = _both_fail(points_error, crimes_error, monkeypatch)
    assert raised is points_error
    assert raised.__cause__ is None and raised.__suppress_context__
    assert raised.__context__ is crimes_error
    # a points error the release words (MapPointsError) is worded the same way
    wrapped = _both_fail(MapPointsError("no points here"), _CrimesBroke("crimes"), monkeypatch)
    assert isinstance(wrapped, ReleaseInputError) and str(wrapped) == "Map points: no points here"
    assert isinstance(wrapped.__cause__, MapPointsError) and wrapped.__cause__.__suppress_context__
    # the crimes' error alone is raised as it was (nothing suppressed)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "resolve_points", lambda *args, **kwargs: ("points", {}))
        patch.setattr(pipeline, "open_crimes_source", _raiser(crimes_error))
        with pytest.raises(_CrimesBroke) as alone:
            pipeline.open_release_inputs(["c.csv"], "p.csv", None, Feedback(), 5, 30)
    assert alone.value is crimes_error and not alone.value.__suppress_context__


def test_read_beside_a_cancel_during_the_crimes_read_loses_to_the_points_error(monkeypatch):
    """A cancel (or any error) on this thread while the points' read failed: the points'
    error, as in the points-first order; with good points, the cancel itself."""
    monkeypatch.setattr(pipeline, "_readable_beside", lambda *args: True)
    points_error = _PointsBroke("points")
    assert _both_fail(points_error, Cancelled(), monkeypatch) is points_error
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "resolve_points", lambda *args, **kwargs: ("points", {}))
        patch.setattr(pipeline, "open_crimes_source", _raiser(Cancelled()))
        with pytest.raises(Cancelled):
            pipeline.open_release_inputs(["c.csv"], "p.csv", None, Feedback(), 5, 30)


def test_read_beside_an_error_in_on_points_is_raised_here(monkeypatch):
    """on_points runs in the points' thread; an error in it is raised on this thread (as it
    is when the points are read first), not lost in the thread."""
    monkeypatch.setattr(pipeline, "_readable_beside", lambda *args: True)
    monkeypatch.setattr(pipeline, "resolve_points", lambda *args, **kwargs: ("points", {}))
    monkeypatch.setattr(pipeline, "open_crimes_source", lambda *args, **kwargs: "crimes")
    broke = _PointsBroke("callback")
    with pytest.raises(_PointsBroke) as raised:
        pipeline.open_release_inputs(
            ["c.csv"], "p.csv", None, Feedback(), 5, 30, on_points=_raiser(broke)
        )
    assert raised.value is broke


def _raiser(error: BaseException):
    def raise_it(*args, **kwargs):
        raise error

    return raise_it


@pytest.mark.parametrize("beside", [True, False])
def test_a_crimes_error_with_good_map_points(beside, points_csv, tmp_path, monkeypatch):
    bad_crimes = tmp_path / "crimes.csv"
    bad_crimes.write_text("a,b\n1,2\n", encoding="utf-8")
    outcome = _open([bad_crimes], str(points_csv), beside, monkeypatch)
    assert outcome[0] == "raised" and "hold no crimes" in outcome[1], outcome


@pytest.mark.parametrize("beside", [True, False])
def test_on_points_sees_the_points_returned_once(beside, points_csv, monkeypatch):
    """The callback gets the very MapPoints the read returns, once; read beside the crimes
    it runs in the points' worker thread (so its work overlaps the crimes read)."""
    import threading

    seen = []

    def on_points(points) -> None:
        seen.append((points, threading.current_thread().name))

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_readable_beside", lambda *args: beside)
        profile = pipeline.release_profile(FORCE_PROFILE)
        _source, point_set, _entry = pipeline.open_release_inputs(
            [FORCE_EXTRACT], str(points_csv), profile, Feedback(), 5, 30, on_points=on_points
        )
    assert len(seen) == 1 and seen[0][0] is point_set
    assert (seen[0][1] == "map-points") == beside


def test_the_release_snaps_with_the_index_built_beside_the_read(points_csv, tmp_path, monkeypatch):
    """run_anonymise hands anonymise the snapping index built as the points were read, and
    the release is byte for byte the one anonymise gives building its own index."""
    from crime_mapper.core.release import anonymise as anonymise_module
    from crime_mapper.core.release.snapping import MapPointIndex
    from tests.support.plain_cli import make_salt

    salt = make_salt(tmp_path / "secret" / "force.salt")
    real = anonymise_module.anonymise
    given = []

    def spy(crimes, points, *args, **kwargs):
        given.append((kwargs.get("index"), points))
        return real(crimes, points, *args, **kwargs)

    def release(out: Path):
        with monkeypatch.context() as patch:
            patch.setattr(anonymise_module, "anonymise", spy)
            return pipeline.run_anonymise(
                [FORCE_EXTRACT], str(points_csv), None, salt, out, profile_path=FORCE_PROFILE
            )

    early = release(tmp_path / "early")
    index, points = given[-1]
    assert isinstance(index, MapPointIndex) and index.points is points
    monkeypatch.setattr(pipeline, "_snapping_index", lambda points: {})
    late = release(tmp_path / "late")
    assert given[-1][0] is None  # anonymise built its own
    for a, b in zip(early.written, late.written):
        assert a.name == b.name and a.read_bytes() == b.read_bytes(), a.name


def test_an_extract_whose_every_row_is_rejected_says_why(tmp_path):
    """A profile whose date_format fits no row rejects every row: the release said only
    "the extracts hold no crimes", the reasons left to a load run on its own."""
    import json

    from crime_mapper.core.load.mapping_profile import MappingProfile
    from crime_mapper.core.release.crimes_input import CrimesSourceError, crimes_from_files

    data = json.loads(FORCE_PROFILE.read_text(encoding="utf-8"))
    data["date_format"] = "%Y/%m/%d"  # (the extract's dates are day first: 06/10/2022)
    profile = MappingProfile.from_dict(data)
    with pytest.raises(CrimesSourceError) as caught:
        crimes_from_files([FORCE_EXTRACT], profile)
    message = str(caught.value)
    assert "hold no crimes" in message and "4,836 rows rejected: bad_date 4,836" in message
