"""Team files whose keys the summaries do not know, or whose texts are longer than one text
may hold: refused naming the neighbourhood and the place, never published without the text
or with it cut short.

Why: a JSON key the reader did not know was passed over in silence, so a typo
(``priorites``, ``Contact``, ``Name``) dropped the team's text from the public page; and a
text longer than MAX_TEXT (5,000 characters) was cut to that length in silence, so the page
showed a text the team never wrote. Real files in tmp_path, the real reader; the hostile
fixture the other team tests use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.publish.summaries_team import (
    CONTACT_KEYS,
    CSV_KIND_COLUMNS,
    MAX_TEXT,
    TEAM_CSV_COLUMNS,
    TEAM_KEYS,
    TeamError,
    read_team,
)
from tests.support.json_edits import replaced

TEAM = Path(__file__).parent / "data" / "summaries" / "team_hostile.json"
CODE = "E02002834"
HOOD = f"team.json: neighbourhood {CODE}"


def _bundle() -> dict[str, Any]:
    return json.loads(TEAM.read_text(encoding="utf-8"))[CODE]


def _write(tmp_path: Path, data: Any, name: str = "team.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: Any) -> str:
    with pytest.raises(TeamError) as caught:
        read_team(_write(tmp_path, data))
    return str(caught.value)


def _renamed(part: dict[str, Any], old: str, new: str) -> None:
    part[new] = part.pop(old)


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "place, old, new, where, called",
    [
        ((), "priorities", "priorites", "", "a neighbourhood's team information"),
        (
            ("neighbourhood",),
            "contact_details",
            "Contact",
            "neighbourhood: ",
            "the neighbourhood's",
        ),
        (("neighbourhood",), "description", "descripton", "neighbourhood: ", "the neighbourhood's"),
        (
            ("neighbourhood", "links", 1),
            "title",
            "titel",
            "neighbourhood, links, item 2: ",
            "a link",
        ),
        (("people", 0), "rank", "Rank", "people, item 1: ", "a person"),
        (("priorities", 0), "action", "actoin", "priorities, item 1: ", "a priority"),
        (("events", 0), "address", "adress", "events, item 1: ", "an event"),
    ],
)
def test_a_misspelt_key_is_refused_naming_the_place_and_the_key_meant(
    tmp_path, place, old, new, where, called
):
    """At every level whose keys are the API's: the neighbourhood's parts, its details, a
    link, a person, a priority, an event."""
    bundle = _bundle()
    part = bundle
    for step in place:
        part = part[step]
    _renamed(part, old, new)
    message = _refused(tmp_path, {CODE: bundle})
    assert message.startswith(
        f"{HOOD}, {where}the key {new!r} is not one the summaries read (did you mean {old!r}?)"
    ), message
    assert f"the keys of {called}" in message, message


def test_a_key_near_no_known_one_is_refused_listing_the_known_ones(tmp_path):
    bundle = _bundle()
    bundle["people"][0]["favourite_biscuit"] = "custard cream"
    message = _refused(tmp_path, {CODE: bundle})
    assert message == (
        f"{HOOD}, people, item 1: the key 'favourite_biscuit' is not one the summaries read: "
        "what it holds would not be published; the keys of a person are "
        + ", ".join(TEAM_KEYS["person"])
    )


def test_a_key_of_control_characters_is_shown_escaped(tmp_path):
    bundle = _bundle()
    bundle["events"][0]["ti\x1btle"] = "x"
    message = _refused(tmp_path, {CODE: bundle})
    assert "the key 'ti\\x1btle'" in message and "\x1b" not in message, message


def test_the_list_form_names_the_code_or_else_the_item(tmp_path):
    """With its code the neighbourhood is named; a misspelt "neighbourhood" (which holds
    the code) is named by its item, and said, rather than "has no neighbourhood code"."""
    bundle = _bundle()
    _renamed(bundle["events"][0], "title", "tilte")
    message = _refused(tmp_path, [bundle])
    assert message.startswith(f"{HOOD}, events, item 1: the key 'tilte'"), message
    bundle = _bundle()
    _renamed(bundle, "neighbourhood", "neighborhood")
    message = _refused(tmp_path, [_bundle() | {"neighbourhood": {"id": "E1"}}, bundle])
    assert message.startswith(
        "team.json: item 2 of the list, the key 'neighborhood' is not one the summaries read "
        "(did you mean 'neighbourhood'?)"
    ), message


def test_a_file_saved_from_the_police_uk_api_reads(tmp_path):
    """The control: the API's own fields that no page shows (its URL, welcome message,
    population, centre, police stations; a link's description), and any contact detail
    (published under its own name), are known."""
    bundle = _bundle()
    bundle["neighbourhood"].update(
        url_force="https://www.leics.police.uk/abbey",
        welcome_message="<p>Welcome</p>",
        locations=[{"name": "Station", "type": "station", "postcode": "LE1 1AA"}],
    )
    bundle["people"][0]["contact_details"] = {"mobile": "07700 900000", "youtube": "x"}
    teams = read_team(_write(tmp_path, {CODE: bundle}))
    labels = [label for label, _text, _href in teams[CODE].people[0]["contacts"]]
    assert labels == ["Mobile", "Youtube"]
    assert [p["name"] for p in teams[CODE].people] == ["Jo Bloggs", "A. N. Other"]
    assert list(read_team(_write(tmp_path, [bundle]))) == [CODE]  # (the list form too)


@pytest.mark.parametrize(
    "place, key, near, where",
    [
        (("neighbourhood",), "telphone", "telephone", "neighbourhood"),
        (("neighbourhood",), "telefone", "telephone", "neighbourhood"),  # (two edits)
        (("neighbourhood",), "emial", "email", "neighbourhood"),
        (("neighbourhood",), "Email", "email", "neighbourhood"),
        (("people", 0), "mobil", "mobile", "people, item 1"),
        (("people", 0), "twiter", "twitter", "people, item 1"),
        (("events", 0), "facebok", "facebook", "events, item 1"),
        (("events", 0), "webb", "web", "events, item 1"),
    ],
)
def test_a_contact_key_a_typo_away_from_a_known_one_is_refused(tmp_path, place, key, near, where):
    """``telphone`` was published under its own label ("Telphone", no tel: link), as a team
    label of its own would be, and nobody was told of the typo."""
    bundle = _bundle()
    part = bundle
    for step in place:
        part = part[step]
    part["contact_details"] = {"telephone": "101", key: "0116 496 0000"}
    message = _refused(tmp_path, {CODE: bundle})
    assert message == (
        f"{HOOD}, {where}, contact_details: the key {key!r} is close to the contact detail "
        f"{near!r} but is not it (did you mean {near!r}?): it would be published under its "
        f"own label, not as the team's {near}; write it {near!r}, or give a label of your "
        f"own that is not a typo of one of {', '.join(CONTACT_KEYS)}"
    )


def test_contact_labels_of_the_teams_own_and_the_known_ones_read(tmp_path):
    """The control: the README lets contact details take any key, published as its label;
    one far from every known key (a short one two edits from ``web`` among them) reads."""
    bundle = _bundle()
    bundle["neighbourhood"]["contact_details"] = {
        **{key: f"{key} given" for key in CONTACT_KEYS},
        **{"website": "https://x.example/", "tel": "101", "Beat surgery": "Tuesdays"},
    }
    teams = read_team(_write(tmp_path, {CODE: bundle}))
    labels = [label for label, _text, _href in teams[CODE].contacts]
    assert labels == [
        *("Telephone", "Mobile", "Email", "Twitter", "Facebook", "Web"),
        *("Website", "Tel", "Beat surgery"),
    ]


def test_the_team_csv_is_read_as_before(tmp_path):
    """The CSV reader hands every row's columns to the same reader: no column of a row is
    taken for an unknown key."""
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,rank,bio,issue,title,start_date,url,telephone\n"
        "N1,person,Jo Bloggs,PC,<p>Bio</p>,,,,,\n"
        "N1,priority,,,,Speeding,,,,\n"
        "N1,event,,,,,Meeting,2022-11-17T18:00:00,,\n"
        "N1,link,,,,,Force,,https://www.leics.police.uk/,\n"
        "N1,neighbourhood,Abbey,,,,,,,101\n",
        encoding="utf-8",
    )
    team = read_team(path)["N1"]
    assert (team.name, [p["name"] for p in team.people], team.links) == (
        "Abbey",
        ["Jo Bloggs"],
        [("Force", "https://www.leics.police.uk/")],
    )
    assert [e["title"] for e in team.events] == ["Meeting"] and len(team.priorities) == 1


# --- texts longer than MAX_TEXT ---------------------------------------------------------------

#: (the place of a published text in the fixture's bundle, as a message names it; a link's
#: description, which no page shows, is warned of instead: see below)
TEXTS = [
    (("neighbourhood", "name"), "neighbourhood, name"),
    (("neighbourhood", "description"), "neighbourhood, description"),
    (("neighbourhood", "contact_details", "email"), "neighbourhood, contact_details, email"),
    (("neighbourhood", "links", 1, "title"), "neighbourhood, links, item 2, title"),
    (("people", 0, "bio"), "people, item 1, bio"),
    (("priorities", 0, "action"), "priorities, item 1, action"),
    (("events", 0, "description"), "events, item 1, description"),
    (("events", 0, "address"), "events, item 1, address"),
]


@pytest.mark.parametrize("place, named", TEXTS)
def test_a_text_longer_than_the_limit_is_refused_not_cut(tmp_path, place, named):
    text = "<p>" + "a" * (MAX_TEXT - 3) + "b</p>"  # (markup counts: 5,005 characters)
    message = _refused(tmp_path, {CODE: replaced(_bundle(), place, text)})
    assert message == (
        f"{HOOD}, {named}: the text is 5,005 characters long, more than the 5,000 one team "
        "text may hold (markup included): it would not be published whole; shorten it"
    )


def test_a_contact_details_name_longer_than_the_limit_is_refused(tmp_path):
    bundle = _bundle()
    bundle["neighbourhood"]["contact_details"]["x" * (MAX_TEXT + 1)] = "101"
    message = _refused(tmp_path, {CODE: bundle})
    assert message.startswith(f"{HOOD}, neighbourhood, contact_details, the name of x"), message
    assert "5,001 characters long, more than the 5,000" in message


def test_texts_of_the_limit_are_published_whole(tmp_path):
    """The control: 5,000 characters read in full (they were, and are, never cut)."""
    bundle = _bundle()
    name, bio = "N" * MAX_TEXT, "<p>" + "b" * (MAX_TEXT - 7) + "</p>"
    bundle["neighbourhood"]["name"] = name
    bundle["people"][0]["bio"] = bio
    team = read_team(_write(tmp_path, {CODE: bundle}))[CODE]
    assert team.name == name and str(team.people[0]["bio"]) == bio


def test_a_csv_cell_longer_than_the_limit_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "team.csv"
    bio = "b" * (MAX_TEXT + 1)
    path.write_text(
        f"code,kind,name,bio\nN1,person,Jo,short\nN1,person,Al,{bio}\n", encoding="utf-8"
    )
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value) == (
        "team.csv: line 3 (neighbourhood N1), column bio: the text is 5,001 characters long, "
        "more than the 5,000 one team text may hold (markup included): it would not be "
        "published whole; shorten it"
    )
    path.write_text(f"code,kind,name,bio\nN1,person,Al,{bio[1:]}\n", encoding="utf-8")
    assert str(read_team(path)["N1"].people[0]["bio"]) == bio[1:]


def test_a_link_description_longer_than_the_limit_is_warned_of_from_json_and_csv_alike(tmp_path):
    """Both readers refused a 6,000-character link description as text that "would not be
    published whole": no page shows a link's description at all (_UNSHOWN_TEXT), so it is
    taken and left out with a warning that says so and gives its length, as a short one
    is; the link itself is published. Only its first characters are shown."""
    text = "<p>" + "d" * 5_997
    said = (
        "link 'Force': its description 'ddd" + "d" * 57 + "' (6,000 characters) is not "
        "shown on the page (a link shows its title and address): left out"
    )
    bundle = _bundle()
    bundle["neighbourhood"]["links"][1].update(title="Force", description=text)
    teams = read_team(_write(tmp_path, {CODE: bundle}))
    assert ("Force", "https://www.leics.police.uk/") in teams[CODE].links
    assert f"{HOOD}, {said}" in teams[CODE].warnings
    path = tmp_path / "team.csv"
    path.write_text(
        f"code,kind,title,url,description\nN1,link,Force,https://example.org,{text}\n",
        encoding="utf-8",
    )
    teams = read_team(path)
    assert teams["N1"].links == [("Force", "https://example.org")]
    assert teams["N1"].warnings == [f"team.csv: line 2 (neighbourhood N1), {said}"]


def test_a_text_in_a_column_its_kind_does_not_read_is_refused_as_unread_whatever_its_length(
    tmp_path,
):
    """A value in a column its row does not read is published not at all: it was refused as
    a text that "would not be published whole" when it was also long; the true reason is
    given whatever its length."""
    path = tmp_path / "team.csv"
    path.write_text("code,kind,name,title\nN1,person,Jo," + "t" * 6_000 + "\n", encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert "column title: a person row does not read this column" in str(caught.value)
    assert "published whole" not in str(caught.value)


# --- values the reader would drop: a column its row does not read, an id not its key, ------
# --- a field under two spellings --------------------------------------------------------------


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _csv_refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(TeamError) as caught:
        read_team(_csv(tmp_path, text))
    return str(caught.value)


def test_a_csv_value_in_a_column_its_kind_does_not_read_is_refused(tmp_path):
    """A person has a rank, not a title: Jo was published with no title, without a word."""
    message = _csv_refused(tmp_path, "code,kind,name,title\nN1,person,Jo,Sergeant\n")
    assert message == (
        "team.csv: line 2 (neighbourhood N1), column title: a person row does not read this "
        "column, so its value 'Sergeant' would not be published; a person row reads "
        + ", ".join(CSV_KIND_COLUMNS["person"])
        + ": move the value to the column it belongs in, or leave the cell empty"
    )
    assert CSV_KIND_COLUMNS["person"] == ("name", "rank", "bio")


@pytest.mark.parametrize(
    "row, column, kind",
    [
        ("N1,neighbourhood,Abbey,,,,Officer,,", "rank", "neighbourhood"),
        ("N1,link,,,,,Officer,https://x.example/,", "rank", "link"),
        ("N1,priority,,,Speeding,2022-10-01,,,", "start_date", "priority"),
        ("N1,event,,101,Meeting,,,,", "telephone", "event"),
    ],
)
def test_every_kind_refuses_the_columns_it_does_not_read(tmp_path, row, column, kind):
    header = "code,kind,name,telephone,issue,start_date,rank,url,description\n"
    message = _csv_refused(tmp_path, header + row + "\n")
    a = "an" if kind == "event" else "a"  # ("a event row": the article is the kind's)
    assert message.startswith(
        f"team.csv: line 2 (neighbourhood N1), column {column}: {a} {kind} row does not read"
    ), message
    assert f"{a} {kind} row reads {', '.join(CSV_KIND_COLUMNS[kind])}:" in message


def test_the_csv_kinds_read_exactly_the_csv_columns():
    """One vocabulary: every column but code and kind is read by some kind (TEAM_KEYS' text
    fields), and each kind's columns are among its JSON keys."""
    read = {c for columns in CSV_KIND_COLUMNS.values() for c in columns}
    assert set(TEAM_CSV_COLUMNS) - {"code", "kind"} <= read
    for kind in ("link", "person", "priority", "event"):
        assert set(CSV_KIND_COLUMNS[kind]) <= set(TEAM_KEYS[kind])


def test_blank_cells_in_unread_columns_are_read_as_before(tmp_path):
    """The control: a column another kind reads, left empty (or spaces) in this row."""
    path = _csv(
        tmp_path,
        "code,kind,name,rank,title,start-date\n"
        "N1,person,Jo,PC,  ,\n"
        "N1,event,,,Meeting,2022-11-17T18:00:00\n",
    )
    team = read_team(path)["N1"]
    assert [(p["name"], p["rank"]) for p in team.people] == [("Jo", "PC")]
    assert [e["title"] for e in team.events] == ["Meeting"]


def test_a_json_id_other_than_its_key_is_refused(tmp_path):
    bundle = _bundle()
    bundle["neighbourhood"]["id"] = "E2"
    message = _refused(tmp_path, {CODE: bundle})
    assert message == (
        f"{HOOD}, neighbourhood, id: the id 'E2' is not the code {CODE!r} the team "
        f"information is keyed by (it would be published for {CODE}, its id ignored): give "
        "the key and the id the same neighbourhood code, or leave the id out"
    )
    message = _refused(tmp_path, {"E1": {"neighbourhood": {"id": "E2"}}})
    assert message.startswith("team.json: neighbourhood E1, neighbourhood, id: the id 'E2'")


@pytest.mark.parametrize("given", [CODE, f" {CODE} ", None, "", "  "])
def test_a_json_id_that_is_its_key_or_none_reads(tmp_path, given):
    """The control: the key's code after the reader's own reading (spaces around it), or no
    id at all."""
    bundle = _bundle()
    bundle["neighbourhood"]["id"] = given
    teams = read_team(_write(tmp_path, {f" {CODE}": bundle}))
    assert list(teams) == [CODE] and teams[CODE].name.startswith("Abbey Park")


@pytest.mark.parametrize(
    "key, index, one, other",
    [
        ("events", 0, "start_date", "start-date"),
        ("events", 0, "end_date", "end-date"),
        ("priorities", 0, "issue-date", "issue_date"),
        ("priorities", 1, "action-date", "action_date"),
    ],
)
def test_a_field_under_two_spellings_with_different_values_is_refused(
    tmp_path, key, index, one, other
):
    bundle = _bundle()
    item = bundle[key][index]
    item[one], item[other] = "2022-10-15T10:00:00", "2022-10-16T10:00:00"
    message = _refused(tmp_path, {CODE: bundle})
    under, dashed = one.replace("-", "_"), one.replace("_", "-")
    values = {one: "2022-10-15T10:00:00", other: "2022-10-16T10:00:00"}
    assert message.startswith(f"{HOOD}, {key}, item {index + 1} ("), message
    assert message.endswith(
        f"): {under} {values[under]!r} and {dashed} {values[dashed]!r} are one field under "
        "two spellings with different values (only one would be read): give it once"
    ), message


_MEETING = "Thursday 17 November 2022, 18:00 to 19:00"


@pytest.mark.parametrize(
    "key, index, one, other, first, second, shown",
    [
        (
            *("events", 0, "start_date", "start-date", "2022-11-17", "2022-11-17T00:00:00"),
            "Thursday 17 November 2022",  # (a start without its time: the day alone)
        ),
        (
            "events",
            0,
            "start_date",
            "start-date",
            "2022-11-17T18:00:00",
            "2022-11-17 18:00",
            _MEETING,
        ),
        ("events", 0, "end_date", "end-date", "2022-11-17T19:00:00Z", "2022-11-17T19:00", _MEETING),
        (
            "priorities",
            0,
            "issue-date",
            "issue_date",
            "2022-07-08",
            "2022-07-08T00:00:00",
            "July 2022",
        ),
    ],
)
def test_the_same_date_written_two_ways_under_two_spellings_reads(
    tmp_path, key, index, one, other, first, second, shown
):
    """The texts were compared, not the dates: one date written two ways (with and without
    its midnight, its seconds or its zone) was refused as two values."""
    bundle = _bundle()
    item = bundle[key][index]
    item[one], item[other] = first, second
    team = read_team(_write(tmp_path, {CODE: bundle}))[CODE]
    if key == "events":
        assert team.events[0]["when"] == shown
    else:
        assert team.priorities[0]["issue_month"] == shown


def test_a_date_that_is_no_date_under_two_spellings_is_refused_as_no_date(tmp_path):
    """ "3 November 2022" is not a date the reader takes: refused naming why, whatever the
    other spelling holds (not as two different values of one field)."""
    bundle = _bundle()
    bundle["events"][0]["start_date"] = "2022-11-03"
    bundle["events"][0]["start-date"] = "3 November 2022"
    message = _refused(tmp_path, {CODE: bundle})
    assert message == (
        f"{HOOD}, event 'Beat meeting': start-date '3 November 2022' is not a date (written "
        "as 2022-10-15T10:00:00)"
    )


def test_a_field_under_two_spellings_alike_or_once_given_reads(tmp_path):
    """The control: both spellings holding the same date (as the reader reads it), or one
    of them none (null, blank: nothing is lost)."""
    bundle = _bundle()
    event = bundle["events"][0]
    event["start_date"], event["start-date"] = "2022-10-15T10:00:00", " 2022-10-15T10:00:00"
    event["end_date"], event["end-date"] = None, "2022-10-15T12:00:00"
    bundle["priorities"][0]["issue_date"] = ""
    team = read_team(_write(tmp_path, {CODE: bundle}))[CODE]
    assert team.events[0]["when"] == "Saturday 15 October 2022, 10:00 to 12:00"
    assert team.priorities[0]["issue_month"] == "July 2022"


def test_the_committed_team_file_reads():
    """The fixture, as saved (its ids are its keys; each date given once)."""
    teams = read_team(TEAM)
    assert CODE in teams and teams[CODE].people and teams[CODE].events


def test_a_date_longer_than_the_limit_is_refused_as_no_date_from_json_and_csv_alike(tmp_path):
    """A date's text is not published (the page shows the date it names): one longer than
    MAX_TEXT was refused as text that "would not be published whole"; it is no date, and
    the message says so, quoting its start."""
    date = "2022-10-15T10:00:00" + " later" * 1_000
    said = f"event 'Beat meeting': start_date {date[:60]!r}... is not a date (written as "
    said += "2022-10-15T10:00:00)"
    bundle = _bundle()
    bundle["events"][0]["start_date"] = date
    assert _refused(tmp_path, {CODE: bundle}) == f"{HOOD}, {said}"
    message = _csv_refused(tmp_path, f"code,kind,title,start_date\nN1,event,Beat meeting,{date}\n")
    assert message == f"team.csv: line 2 (neighbourhood N1), {said}"
