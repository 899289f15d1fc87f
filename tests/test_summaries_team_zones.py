"""Team dates written with a time zone (``Z``, ``+01:00``, ``-02:00``): read on the UK's
clock, and refused when that names another day than the one written.

Why: the zone was not read, so ``2026-12-10T23:30:00-02:00`` (01:30 on 11 December in the
UK) was published as Thursday 10 December, 23:30, ``10:00Z`` in summer an hour early, and
two spellings of a date naming different days in the UK (``-02:00`` and ``Z`` at the same
clock time) were taken for one date. Real files in tmp_path, the real readers; the UK's
clock checked against the system's time zone database (an independent implementation).
"""

from __future__ import annotations

import datetime
import json
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.publish.summaries_team import TeamError, read_team, uk_time

CODE = "N1"


def _read(tmp_path: Path, events: list[dict] = (), priorities: list[dict] = ()) -> Any:
    path = tmp_path / "team.json"
    bundle = {"neighbourhood": {"name": "Town"}, "events": events, "priorities": priorities}
    path.write_text(json.dumps({CODE: bundle}), encoding="utf-8")
    return read_team(path)[CODE]


def _refused(tmp_path: Path, **parts: Any) -> str:
    with pytest.raises(TeamError) as caught:
        _read(tmp_path, **parts)
    return str(caught.value)


def test_the_uk_clock_is_the_time_zone_databases_europe_london():
    """Every 389 minutes of 1996-2040 and the minutes either side of every change of clocks
    (the rule since 1996), as Europe/London reads them."""
    london, utc = zoneinfo.ZoneInfo("Europe/London"), datetime.timezone.utc
    moments, moment = [], datetime.datetime(1996, 1, 1)
    while moment < datetime.datetime(2041, 1, 1):
        moments.append(moment)
        moment += datetime.timedelta(minutes=389)
    changes = [
        change + datetime.timedelta(minutes=near)
        for change in (
            datetime.datetime(year, month, day, 1)
            for year in range(1996, 2041)
            for month in (3, 10)
            for day in range(25, 32)
        )
        for near in (-1, 0, 1)
    ]  # (every last-week Sunday and the days round it, at 01:00 UTC)
    for moment in moments + changes:
        expected = moment.replace(tzinfo=utc).astimezone(london).replace(tzinfo=None)
        assert uk_time(moment) == expected, moment
    assert len(moments) > 60_000


@pytest.mark.parametrize(
    "start, shown",
    [
        ("2026-12-10T23:30:00Z", "Thursday 10 December 2026, 23:30"),  # (GMT: the UK's own)
        ("2026-12-10T23:30:00+00:00", "Thursday 10 December 2026, 23:30"),
        ("2026-12-10T23:30:00+01:00", "Thursday 10 December 2026, 22:30"),
        ("2026-12-10T20:30:00-02:00", "Thursday 10 December 2026, 22:30"),
        ("2022-10-15T10:00:00Z", "Saturday 15 October 2022, 11:00"),  # (BST: an hour on)
        ("2022-10-15T10:00:00.000Z", "Saturday 15 October 2022, 11:00"),
        ("2022-10-15T11:00:00+01:00", "Saturday 15 October 2022, 11:00"),
        ("2022-10-15T11:00:00+0100", "Saturday 15 October 2022, 11:00"),
        ("2022-10-15T00:00:00Z", "Saturday 15 October 2022"),  # (a date alone: its day)
        ("2026-12-11T00:00:00-02:00", "Friday 11 December 2026"),
        ("2022-03-27T01:30:00Z", "Sunday 27 March 2022, 02:30"),  # (the clocks went on)
        ("2022-10-30T01:30:00Z", "Sunday 30 October 2022, 01:30"),  # (and back: GMT)
        ("2022-10-30T01:30:00+01:00", "Sunday 30 October 2022, 01:30"),  # (BST's 01:30)
        ("2022-10-15T10:00:00", "Saturday 15 October 2022, 10:00"),  # (no zone: as written)
    ],
)
def test_an_event_date_with_a_zone_is_shown_on_the_uk_clock(tmp_path, start, shown):
    team = _read(tmp_path, events=[{"title": "Beat meeting", "start_date": start}])
    assert team.events[0]["when"] == shown


@pytest.mark.parametrize(
    "start, said",
    [
        (
            "2026-12-10T23:30:00-02:00",
            "is Friday 11 December 2026, 01:30 in the UK (its zone -02:00 read on the UK's "
            "clock), another day than the one written",
        ),
        (
            "2026-12-11T00:00:00+01:00",
            "is Thursday 10 December 2026, 23:00 in the UK (its zone +01:00 read on the UK's "
            "clock), another day than the one written",
        ),
        ("2022-10-14T23:30:00Z", "is Saturday 15 October 2022, 00:30 in the UK"),
        ("2026-12-10T23:30:00+99:99", "has the zone +99:99, which is no offset from UTC"),
    ],
)
def test_an_event_date_whose_zone_names_another_uk_day_is_refused_naming_both(
    tmp_path, start, said
):
    message = _refused(tmp_path, events=[{"title": "Beat meeting", "start_date": start}])
    assert message.startswith(
        f"team.json: neighbourhood N1, event 'Beat meeting': start_date {start!r} {said}"
    ), message
    if "no offset" not in said:
        assert message.endswith("write the UK date and time the team means, without a zone"), (
            message
        )


def test_a_csv_event_date_whose_zone_names_another_uk_day_is_refused_naming_its_line(
    tmp_path,
):
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,title,start_date\nN1,event,Surgery,2026-12-10T23:30:00Z\n"
        "N1,event,Beat meeting,2026-12-10T23:30:00-02:00\n",
        encoding="utf-8",
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(
        "team.csv: line 3 (neighbourhood N1), event 'Beat meeting': start_date "
        "'2026-12-10T23:30:00-02:00' is Friday 11 December 2026, 01:30 in the UK"
    ), caught.value


def test_a_priority_date_with_a_zone_is_refused_only_for_another_uk_month(tmp_path):
    """A priority is shown to the month: a zone that keeps the month reads, one that moves
    it (23:30 on 31 October at -02:00 is 01:30 on 1 November in the UK) is refused."""
    team = _read(tmp_path, priorities=[{"issue": "Litter", "issue-date": "2022-10-15T23:30-02:00"}])
    assert team.priorities[0]["issue_month"] == "October 2022"
    message = _refused(
        tmp_path, priorities=[{"issue": "Litter", "issue-date": "2022-10-31T23:30:00-02:00"}]
    )
    assert message.startswith(
        "team.json: neighbourhood N1, priority 'Litter': issue-date '2022-10-31T23:30:00-02:00' "
        "is Tuesday 1 November 2022, 01:30 in the UK (its zone -02:00 read on the UK's "
        "clock), another month than the one written"
    ), message


def test_an_event_is_ordered_on_the_uk_clock(tmp_path):
    """10:30 BST to 10:00 UTC (11:00 BST) is half an hour: it was refused as ending before
    it starts, the zones not read."""
    event = {
        "title": "Beat meeting",
        "start_date": "2022-10-15T10:30:00+01:00",
        "end_date": "2022-10-15T10:00:00Z",
    }
    assert _read(tmp_path, events=[event]).events[0]["when"] == (
        "Saturday 15 October 2022, 10:30 to 11:00"
    )


@pytest.mark.parametrize(
    "first, second, in_the_uk",
    [
        (
            "2026-12-10T23:30:00-02:00",
            "2026-12-10T23:30:00Z",
            "Friday 11 December 2026, 01:30 and Thursday 10 December 2026, 23:30",
        ),
        (
            "2026-12-10T23:30:00-02:00",
            "2026-12-11",
            "Friday 11 December 2026, 01:30 and Friday 11 December 2026",
        ),
        (
            "2026-12-11T00:00:00+01:00",
            "2026-12-11",
            "Thursday 10 December 2026 and Friday 11 December 2026",
        ),
    ],
)
def test_two_spellings_naming_different_uk_moments_are_refused_naming_both(
    tmp_path, first, second, in_the_uk
):
    """The zone was not read, so ``-02:00`` and ``Z`` at one clock time (two days in the
    UK) were taken for one date, and one of them published."""
    event = {"title": "Beat meeting", "start_date": first, "start-date": second}
    message = _refused(tmp_path, events=[event])
    assert message == (
        "team.json: neighbourhood N1, events, item 1 ('Beat meeting'): start_date "
        f"{first!r} and start-date {second!r} are one field under two spellings with "
        f"different values, in the UK {in_the_uk} (only one would be read): give it once"
    )


@pytest.mark.parametrize(
    "first, second, shown",
    [
        ("2022-10-15T11:00:00+01:00", "2022-10-15T10:00:00Z", "Saturday 15 October 2022, 11:00"),
        ("2022-10-15T00:00:00Z", "2022-10-15", "Saturday 15 October 2022"),
        ("2026-12-10T23:30:00Z", "2026-12-10T23:30:00", "Thursday 10 December 2026, 23:30"),
    ],
)
def test_two_spellings_of_one_uk_moment_read(tmp_path, first, second, shown):
    event = {"title": "Beat meeting", "start_date": first, "start-date": second}
    assert _read(tmp_path, events=[event]).events[0]["when"] == shown


#: Before 1996 the UK changed its clocks by other rules than the one the readers know (to
#: 1995, back on the day after October's fourth Saturday; 1968 to 1971, BST all year): the
#: dates the rule read an hour off, as Europe/London reads them (checked in the test).
BEFORE_THE_RULE = [
    ("1995-10-25T12:00:00Z", datetime.datetime(1995, 10, 25, 12, 0)),  # (was shown 13:00)
    ("1970-01-10T12:00:00Z", datetime.datetime(1970, 1, 10, 13, 0)),  # (was shown 12:00)
    ("1995-10-28T23:30:00Z", datetime.datetime(1995, 10, 28, 23, 30)),  # (refused: 29th)
]


@pytest.mark.parametrize("start, on_the_uk_clock", BEFORE_THE_RULE)
def test_a_date_before_1996_with_a_zone_is_refused_never_shown_an_hour_off(
    tmp_path, start, on_the_uk_clock
):
    """The readers read every year by the rule since 1996, so such a date was published an
    hour off, or refused as another day, naming a time the UK's clocks never showed. The
    time zone database is not there on every machine QGIS runs on: refused, the team asked
    for the UK time without a zone, as for a zone that moves the day."""
    london, utc = zoneinfo.ZoneInfo("Europe/London"), datetime.timezone.utc
    moment = datetime.datetime.fromisoformat(start.replace("Z", ""))
    assert moment.replace(tzinfo=utc).astimezone(london).replace(tzinfo=None) == on_the_uk_clock
    message = _refused(tmp_path, events=[{"title": "Beat meeting", "start_date": start}])
    assert message == (
        f"team.json: neighbourhood N1, event 'Beat meeting': start_date {start!r} has the zone "
        "Z on a date before 1996, when the UK changed its clocks by other rules than the one "
        "it is read by: write the UK date and time the team means, without a zone"
    )
    priority = {"issue": "Litter", "issue-date": start}
    assert "has the zone Z on a date before 1996" in _refused(tmp_path, priorities=[priority])
    # the same date given again without a zone: the zone is what is refused (no UK time
    # that the clocks never showed is named as another spelling's)
    event = {"title": "Beat meeting", "start_date": start, "start-date": start[:-1]}
    assert "on a date before 1996" in _refused(tmp_path, events=[event])


def test_a_date_before_1996_without_a_zone_reads_as_written(tmp_path):
    team = _read(tmp_path, events=[{"title": "Beat meeting", "start_date": "1995-10-25T12:00"}])
    assert team.events[0]["when"] == "Wednesday 25 October 1995, 12:00"
    team = _read(tmp_path, events=[{"title": "Beat meeting", "start_date": "1996-10-25T12:00Z"}])
    assert team.events[0]["when"] == "Friday 25 October 1996, 13:00"
