"""Damaged team files (JSON or CSV) are refused naming the file, the item and the value,
never published with a date, a name or a contact the team did not give."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.core.publish.summaries_team import TeamError, read_team, team_warnings

TEAM = Path(__file__).parent / "data" / "summaries" / "team_hostile.json"


def _team_json(tmp_path: Path, events: list, priorities: list = ()) -> Path:
    data = json.loads(TEAM.read_text(encoding="utf-8"))
    bundle = data["E02002834"]
    bundle["events"] = events
    bundle["priorities"] = list(priorities) or bundle["priorities"]
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "field, value, why",
    [
        ("start_date", "2022-02-30T10:00:00", "no such day"),
        ("start_date", "2022-10-15T25:61:00", "no time of day"),
        ("start_date", "2022-10-15T23:59:61", "no time of day"),
        ("start_date", "0000-01-01T10:00:00", "the year 0 "),
        ("start_date", "2022-13-01", "no such month"),
        ("start_date", "next Tuesday", "is not a date"),
        ("start_date", 20221015, "is not a date"),
        ("end_date", "2022-10-15T24:00:00", "no time of day"),
        ("end-date", "2021-02-29", "no such day"),
    ],
)
def test_impossible_event_date_is_refused_naming_event_and_value(tmp_path, field, value, why):
    """It was read as no date and the page showed the event's month anyway ("February 2022",
    "January 0"): a date the team never gave."""
    event = {"title": "Beat meeting", "start_date": "2022-11-17T18:00:00", field: value}
    path = _team_json(tmp_path, [event])
    with pytest.raises(TeamError) as caught:
        read_team(path)
    message = str(caught.value)
    assert message.startswith("team.json: neighbourhood E02002834, event 'Beat meeting'")
    assert f"{field} {str(value)!r}" in message and why in message


def test_impossible_priority_date_is_refused(tmp_path):
    priority = {"issue": "<p>Speeding</p>", "issue-date": "0000-01-01T00:00:00"}
    with pytest.raises(TeamError, match=r"priority 'Speeding': issue-date '0000-01-01T00:00:00'"):
        read_team(_team_json(tmp_path, [], [priority]))


def test_event_and_priority_dates_that_are_dates_or_none_are_read(tmp_path):
    events = [
        {"title": "A", "start_date": "2022-10-15T10:00:00", "end_date": "2022-10-15T12:00:00"},
        {"title": "B", "start_date": "2024-02-29", "end_date": None},
        {"title": "C", "start_date": None, "end_date": ""},
        {"title": "D", "start_date": " 2022-10-15T10:00:00.000Z "},
    ]
    priorities = [{"issue": "Litter", "issue-date": "2022-07", "action-date": None}]
    team = read_team(_team_json(tmp_path, events, priorities))["E02002834"]
    assert [e["when"] for e in team.events] == [
        "Saturday 15 October 2022, 10:00 to 12:00",
        "Thursday 29 February 2024",
        "",
        "Saturday 15 October 2022, 11:00",  # (10:00 UTC is 11:00 on the UK's summer clock)
    ]
    assert team.priorities[0]["issue_month"] == "July 2022"


def test_team_csv_impossible_event_date_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,title,start_date\n"
        "N1,neighbourhood,Town team,,\n"
        "N1,event,,Surgery,2022-03-04T10:00:00\n"
        "N1,event,,Meeting,2022-02-30T10:00:00\n",
        encoding="utf-8",
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value) == (
        "team.csv: line 4 (neighbourhood N1), event 'Meeting': start_date "
        "'2022-02-30T10:00:00' is no date of the calendar (no such day)"
    )


def test_team_csv_column_given_twice_is_refused_naming_it(tmp_path):
    """csv.DictReader kept the last of the two: the second name was published in silence."""
    path = tmp_path / "team.csv"
    path.write_text("code,kind,name,name\nE02002827,neighbourhood,First,Second\n", "utf-8")
    with pytest.raises(TeamError, match=r"team.csv: the column 'name' is in the header twice"):
        read_team(path)
    # blank header cells (a spreadsheet's trailing commas) name no field: read as before
    path.write_text("code,kind,name,,\nE02002827,neighbourhood,First,,\n", "utf-8")
    assert read_team(path)["E02002827"].name == "First"


def test_team_csv_neighbourhood_described_twice_is_refused_naming_both_lines(tmp_path):
    """The second row replaced the first's name, description and contacts in silence."""
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,title\n"
        "E02002827,neighbourhood,First,\n"
        "E02002827,event,,Surgery\n"
        "E02002827,neighbourhood,Second,\n",
        "utf-8",
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(
        "team.csv: line 4: neighbourhood E02002827 is described twice (lines 2 and 4;"
    )
    # many people, priorities, events and links per neighbourhood are the format
    path.write_text(
        "code,kind,name,title\n"
        "E02002827,neighbourhood,First,\n"
        "E02002827,event,,Surgery\n"
        "E02002827,event,,Surgery\n"
        "E02002828,neighbourhood,Second,\n",
        "utf-8",
    )
    teams = read_team(path)
    assert teams["E02002827"].name == "First" and len(teams["E02002827"].events) == 2


def test_team_json_list_naming_a_neighbourhood_twice_is_refused(tmp_path):
    """The list shape keyed the teams by neighbourhood.id: the last of two won in silence."""
    path = tmp_path / "team.json"
    first = {"neighbourhood": {"id": "E02002827", "name": "First"}}
    second = {"neighbourhood": {"id": " E02002827", "name": "Second"}}
    path.write_text(json.dumps([first, second]), encoding="utf-8")
    with pytest.raises(TeamError, match=r"team.json: neighbourhood E02002827 is given twice"):
        read_team(path)
    path.write_text(json.dumps({"E02002827": first, "E02002827 ": second}), encoding="utf-8")
    with pytest.raises(TeamError, match=r"team.json: neighbourhood E02002827 is given twice"):
        read_team(path)


@pytest.mark.parametrize(
    "start, end",
    [
        ("2022-10-15T10:00:00", "2022-10-15T09:30:00"),  # the same day, an earlier time
        ("2022-10-15T10:00:00", "2022-10-14T12:00:00"),  # the day before
        ("2022-10-15", "2022-10-14"),  # days alone
    ],
)
def test_event_ending_before_it_starts_is_refused_naming_event_and_values(tmp_path, start, end):
    """The end was left out in silence: the page showed an open-ended event the team's data
    did not describe (an end typed on the wrong day, start and end swapped)."""
    event = {"title": "Beat meeting", "start_date": start, "end_date": end}
    with pytest.raises(TeamError) as caught:
        read_team(_team_json(tmp_path, [event]))
    assert str(caught.value) == (
        f"team.json: neighbourhood E02002834, event 'Beat meeting': end_date {end!r} is "
        f"before its start_date {start!r} (give the end at or after the start, or no end)"
    )


def test_event_ending_at_or_after_its_start_is_read(tmp_path):
    """The same day with no end time (the API's midnight), or an end equal to the start,
    is no end before the start."""
    events = [
        {"title": "A", "start_date": "2022-10-15T10:00:00", "end_date": "2022-10-15T00:00:00"},
        {"title": "B", "start_date": "2022-10-15T10:00:00", "end_date": "2022-10-15T10:00:00"},
        {"title": "C", "start-date": "2022-10-15", "end-date": "2022-10-15T09:00:00"},
    ]
    team = read_team(_team_json(tmp_path, events))["E02002834"]
    assert [e["when"] for e in team.events] == [
        "Saturday 15 October 2022, 10:00",
        "Saturday 15 October 2022, 10:00",  # (was "10:00 to 10:00")
        "Saturday 15 October 2022",
    ]


def test_team_csv_event_ending_before_it_starts_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,title,start-date,end-date\n"
        "N1,neighbourhood,Town team,,,\n"
        "N1,event,,Surgery,2022-03-04T10:00:00,2022-03-03T11:00:00\n",
        encoding="utf-8",
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value) == (
        "team.csv: line 3 (neighbourhood N1), event 'Surgery': end-date "
        "'2022-03-03T11:00:00' is before its start-date '2022-03-04T10:00:00' (give the end "
        "at or after the start, or no end)"
    )


def test_team_csv_header_is_read_in_any_capitals_and_spaces(tmp_path):
    """``Name`` (a spreadsheet's capitals) or `` name `` was no column the reader knew: every
    team was published without its name, and nobody was told."""
    path = tmp_path / "team.csv"
    path.write_text(
        "Code, Kind ,Name,Title,Start Date,END-DATE\n"
        "N1,neighbourhood,Town team,,,\n"
        "N1,event,,Surgery,2022-03-04T10:00:00,2022-03-04T11:00:00\n",
        encoding="utf-8",
    )
    team = read_team(path)["N1"]
    assert team.name == "Town team"
    assert [e["when"] for e in team.events] == ["Friday 4 March 2022, 10:00 to 11:00"]


@pytest.mark.parametrize(
    "header, named",
    [
        ("code,kind,nmae,title", "column 'nmae' (its values"),  # a typo: the team's name lost
        ("code,kind,name,phone,Website", "columns 'phone', 'Website' (their values"),
    ],
)
def test_team_csv_unknown_columns_are_refused_naming_them_and_the_known(tmp_path, header, named):
    path = tmp_path / "team.csv"
    path.write_text(f"{header}\nN1,neighbourhood,Town team,x\n", encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    message = str(caught.value)
    assert message.startswith(f"team.csv: no team field is read from the {named}")
    assert "the columns are code, kind, name, description, telephone" in message
    assert "start_date, end_date (in any capitals" in message


@pytest.mark.parametrize(
    "header, twice",
    [
        ("code,kind,name,Name", "'name' and 'Name'"),
        ("code,kind,title,start_date,Start-Date", "'start_date' and 'Start-Date'"),
    ],
)
def test_team_csv_column_given_twice_in_other_capitals_is_refused(tmp_path, header, twice):
    path = tmp_path / "team.csv"
    path.write_text(f"{header}\nN1,neighbourhood,a,b\n", encoding="utf-8")
    with pytest.raises(TeamError, match=f"team.csv: the column {twice} is in the header twice"):
        read_team(path)


def test_team_csv_value_under_a_blank_header_cell_is_refused_naming_its_line(tmp_path):
    """No field is read from a column with no name: its value was lost in silence."""
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,,\nN1,neighbourhood,Town team,,\nN2,neighbourhood,Other,,0116 222\n",
        encoding="utf-8",
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(
        "team.csv: line 3 has the value '0116 222' in column 5, whose header cell is blank"
    )


@pytest.mark.parametrize(
    "row, said",
    [
        ("N1,officer,PC Jo", "line 3 (neighbourhood N1) has the kind 'officer': the kinds are "),
        (",person,PC Jo", "line 3 has no neighbourhood code: give the code it is for"),
    ],
)
def test_team_csv_row_of_no_known_kind_or_code_is_refused_naming_its_line(tmp_path, row, said):
    """Such a row was skipped in silence: the person was never published, nobody told."""
    path = tmp_path / "team.csv"
    path.write_text(f"code,kind,name\nN1,neighbourhood,Town team\n{row}\n", encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(f"team.csv: {said}")


@pytest.mark.parametrize(
    "key, items, said",
    [
        (
            "people",
            [{"name": "Jo"}, {"name": None, "rank": "PC", "bio": "<p>Joined 2010</p>"}],
            "person 2 (rank 'PC', bio 'Joined 2010'): it has no name: give its name",
        ),
        (
            "people",
            [{"name": "<b></b>", "rank": "Sgt"}],
            "person 1 (rank 'Sgt'): its name '<b></b>' has no text once its markup is removed",
        ),
        (
            "priorities",
            [{"issue": "", "action": "<p>Extra patrols</p>", "action-date": "2022-09"}],
            "priority 1 (action 'Extra patrols', action-date '2022-09'): it has no issue",
        ),
        (
            "events",
            [{"title": "<svg onload=alert(1)>", "start_date": "2022-11-17T18:00:00"}],
            "event 1 (start_date '2022-11-17T18:00:00'): its title '<svg onload=alert(1)>' "
            "has no text once its markup is removed",
        ),
        (
            "events",
            [{"type": "meeting", "address": "Library"}],
            "event 1 (type 'meeting', address 'Library'): it has no title: give its title, "
            "or leave the event out of the file",
        ),
    ],
)
def test_team_item_with_no_heading_is_refused_naming_it(tmp_path, key, items, said):
    """A person with no name, a priority with no issue or an event with no title was left
    off the page without a word: the public never saw what the team gave."""
    data = json.loads(TEAM.read_text(encoding="utf-8"))
    data["E02002834"][key] = items
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(f"team.json: neighbourhood E02002834, {said}")


def test_team_item_holding_nothing_is_passed_over(tmp_path):
    """An item with every field null or blank (a blank CSV row's like): nothing to lose."""
    data = json.loads(TEAM.read_text(encoding="utf-8"))
    data["E02002834"]["people"] = [{"name": None, "rank": " ", "contact_details": {}}]
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_team(path)["E02002834"].people == []


@pytest.mark.parametrize(
    "row, said",
    [
        ("N1,person,,PC,", "line 3 (neighbourhood N1), person (rank 'PC'): it has no name"),
        ("N1,event,,,Library", "line 3 (neighbourhood N1), event (address 'Library'): it has no"),
    ],
)
def test_team_csv_item_with_no_heading_is_refused_naming_its_line(tmp_path, row, said):
    path = tmp_path / "team.csv"
    path.write_text(
        f"code,kind,name,rank,address,title\nN1,neighbourhood,Town team,,,\n{row},\n",
        encoding="utf-8",
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(f"team.csv: {said}")


def test_team_links_without_a_safe_address_are_left_out_with_a_warning(tmp_path):
    """A javascript: link must never be published, but it was left out without a word (so
    was a link with no address, or the API's "www..." without https://)."""
    data = json.loads(TEAM.read_text(encoding="utf-8"))
    data["E02002834"]["neighbourhood"]["links"] = [
        {"url": "javascript:alert(2)", "title": "bad"},
        {"url": "www.leics.police.uk", "title": "Force"},
        {"url": None, "title": "Facebook"},
        {"url": "https://www.leics.police.uk/", "title": "Force website"},
    ]
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    teams = read_team(path)
    assert teams["E02002834"].links == [("Force website", "https://www.leics.police.uk/")]
    where = "team.json: neighbourhood E02002834, link"
    assert team_warnings(teams) == [
        f"{where} 'bad' has the address 'javascript:alert(2)', not an http(s)://, mailto: or "
        "tel: one: left out of the page",
        f"{where} 'Force' has the address 'www.leics.police.uk', not an http(s)://, mailto: "
        "or tel: one: left out of the page",
        f"{where} 'Facebook' has no address, not an http(s)://, mailto: or tel: one: left out "
        "of the page",
    ]


def test_team_csv_link_without_a_safe_address_is_warned_of_naming_its_line(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,title,url\nN1,neighbourhood,Town team,,\n"
        "N1,link,,Evil,javascript:alert(1)\nN1,link,,Site,https://example.org\n",
        encoding="utf-8",
    )
    teams = read_team(path)
    assert teams["N1"].links == [("Site", "https://example.org")]
    assert team_warnings(teams) == [
        "team.csv: line 3 (neighbourhood N1), link 'Evil' has the address "
        "'javascript:alert(1)', not an http(s)://, mailto: or tel: one: left out of the page"
    ]


def test_a_link_description_is_taken_and_warned_of_from_json_and_csv_alike(tmp_path):
    """The team CSV refused a link row's description that the JSON took and dropped in
    silence; no page shows it (a link is its title and address), so both take it and say
    it is left out. A null or blank one (the API's links) is no warning."""
    data = json.loads(TEAM.read_text(encoding="utf-8"))
    data["E02002834"]["neighbourhood"]["links"] = [
        {"url": "https://www.leics.police.uk/", "title": "Force", "description": "Our site"},
        {"url": "https://example.org", "title": "Site", "description": None},
    ]
    json_path = tmp_path / "team.json"
    json_path.write_text(json.dumps(data), encoding="utf-8")
    csv_path = tmp_path / "team.csv"
    csv_path.write_text(
        "code,kind,name,title,url,description\n"
        "E02002834,link,,Force,https://www.leics.police.uk/,Our site\n"
        "E02002834,link,,Site,https://example.org,  \n",
        encoding="utf-8",
    )
    said = "link 'Force': its description 'Our site' is not shown on the page (a link shows "
    said += "its title and address): left out"
    for path, where in ((json_path, ""), (csv_path, "line 2 (neighbourhood E02002834), ")):
        teams = read_team(path)
        assert teams["E02002834"].links == [
            ("Force", "https://www.leics.police.uk/"),
            ("Site", "https://example.org"),
        ]
        named = "neighbourhood E02002834, " if path.suffix == ".json" else ""
        assert team_warnings(teams) == [f"{path.name}: {named}{where}{said}"]


@pytest.mark.parametrize("opened", ['"', ""])
def test_team_csv_cell_past_the_csv_readers_limit_is_refused_saying_why(tmp_path, opened):
    """A cell longer than the csv reader takes (131,072 characters by default) was refused
    with the csv module's "field larger than field limit" and a hint about quotes alone:
    it is a quote never closed or a text far past the limit of one team text. The limit is
    the process's (a loader raises it): set here to the default, and restored."""
    path = tmp_path / "team.csv"
    closed = opened  # (a quoted megabyte cell, closed; or an unquoted one)
    path.write_text(
        f"code,kind,name,bio\nN1,person,Jo,{opened}{'b' * 200_000}{closed}\n", encoding="utf-8"
    )
    before = csv.field_size_limit(131_072)
    try:
        with pytest.raises(TeamError) as caught:
            read_team(path)
    finally:
        csv.field_size_limit(before)
    assert str(caught.value) == (
        "cannot read team information team.csv: the record from line 2 on has a cell longer "
        "than 131,072 characters: a quote opened in a cell and never closed takes the rows "
        "after it into one cell (close it, or double a quote inside a quoted cell), and a "
        "team text is at most 5,000 characters"
    )


@pytest.mark.parametrize(
    "name, text, why",
    [
        ("team.csv", "", "is empty (0 bytes)"),
        ("team.csv", "code,kind,name\n", "holds no team row"),
        ("team.csv", "code,kind,name\n,,\n\n", "holds no team row"),
        ("team.json", "{}", "names no neighbourhood"),
        ("team.json", "[]", "names no neighbourhood"),
        ("team.json", "[{}]", "names no neighbourhood"),
    ],
)
def test_a_team_file_holding_no_team_is_refused_naming_it(tmp_path, name, text, why):
    """It was read as no team, and the summaries were published without one, without a
    word (a team export that failed, the wrong file picked). The team file is optional:
    none given is how the summaries are made without a team."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(f"{name}: the team information {why}")
    assert "no team file to make the summaries without one" in str(caught.value)
    assert read_team(None) == {} and read_team("") == {}


@pytest.mark.parametrize(
    "data, line",
    [
        (b"code,kind,name\nE02\x00001,neighbourhood,Central team\n", 2),
        (b"code,kind,name\nE02001,neighbourhood,Central\x00 team\n", 2),
        (b"code,kind,name\r\nE02001,neighbourhood,Central\r\nE02001,person,\x00Jo\r\n", 3),
        (b"code,kind,na\x00me\nE02001,neighbourhood,Central\n", 1),
    ],
)
def test_team_csv_holding_a_nul_is_refused_naming_the_file_and_line(tmp_path, data, line):
    """A NUL was taken out of the cell in silence, so "E02\\x00001" was published as the code
    E02001 and "Central\\x00 team" as "Central team": refused now, as the other small CSVs
    (families, neighbourhood names) refuse one, naming the file and the line."""
    path = tmp_path / "team.csv"
    path.write_bytes(data)
    with pytest.raises(TeamError) as caught:
        read_team(path)
    message = str(caught.value)
    assert message.startswith("the team information team.csv holds a NUL character")
    assert f"on line {line}:" in message and "\x00" not in message


@pytest.mark.parametrize(
    "text, where",
    [
        ('{"E02": {"neighbourhood": {"name": "Cen\\u0000tral"}}}', "at E02 > neighbourhood > name"),
        ('{"E02\\u0000001": {"neighbourhood": {"name": "Central"}}}', "at 'E02\\x00001'"),
        (
            '[{"neighbourhood": {"id": "E02", "name": "C"}, "people": [{"name": "Jo\\u0000"}]}]',
            "at 1 > people > 1 > name",
        ),
    ],
)
def test_team_json_holding_a_nul_is_refused_naming_where(tmp_path, text, where):
    """A NUL written \\u0000 in a team JSON was taken out in silence ("Cen\\u0000tral" was
    published as "Central", a code "E02\\u0000001" as E02001): refused, naming the file and
    the keys down to the text, as a team CSV with a NUL is refused naming its line."""
    path = tmp_path / "team.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    message = str(caught.value)
    assert message.startswith("the team information team.json holds a NUL character")
    assert where in message and "\x00" not in message
