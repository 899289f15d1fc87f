"""Team JSON whose entries are not of the police.uk API's shape: refused naming the place and
what was found there, never left out of the page in silence.

Why: an entry that was not an object (a person written as text, a priority as null, an
event as a list, a whole neighbourhood as a number, an item of the list form without its
code) and a field that was not text (a rank given as a list, a title as true) were skipped
or published as nothing, so the public never saw what the team gave and nobody was told.
Real files in tmp_path, the real reader; the hostile fixture the other team tests use.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.publish.summaries_team import TeamError, read_team, team_warnings
from tests.support.json_edits import json_places, replaced

TEAM = Path(__file__).parent / "data" / "summaries" / "team_hostile.json"
CODE = "E02002834"
HOOD = f"team.json: neighbourhood {CODE}"


def _fixture() -> dict[str, Any]:
    return json.loads(TEAM.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: Any) -> str:
    with pytest.raises(TeamError) as caught:
        read_team(_write(tmp_path, data))
    return str(caught.value)


@pytest.mark.parametrize(
    "item, shown",
    [
        ("PC Jo Bloggs", "the text 'PC Jo Bloggs'"),
        (7, "the number 7"),
        (None, "null"),
        (["Jo", "Sgt"], "a list (2 items)"),
        (True, "true"),
    ],
)
@pytest.mark.parametrize(
    "key, called", [("people", "a person"), ("priorities", "a priority"), ("events", "an event")]
)
def test_a_list_item_that_is_no_object_is_refused_naming_it(tmp_path, key, called, item, shown):
    data = _fixture()
    data[CODE][key].insert(1, item)
    message = _refused(tmp_path, data)
    assert message.startswith(f"{HOOD}, {key}, item 2: found {shown} where {called} belongs")


def test_a_link_that_is_no_object_is_refused_naming_it(tmp_path):
    data = _fixture()
    data[CODE]["neighbourhood"]["links"].append("https://www.leics.police.uk/beat")
    message = _refused(tmp_path, data)
    assert message.startswith(
        f"{HOOD}, neighbourhood, links, item 3: found the text "
        "'https://www.leics.police.uk/beat' where a link belongs"
    ), message


@pytest.mark.parametrize(
    "place, value, said",
    [
        (("people",), {"name": "Jo"}, "people: found an object (keys name) where a list belongs"),
        (("events",), "Beat meeting", "events: found the text 'Beat meeting' where a list belongs"),
        (("neighbourhood",), "Abbey Park", "neighbourhood: found the text 'Abbey Park' where "),
        (("neighbourhood", "contact_details"), "101", "neighbourhood, contact_details: found "),
        (("people", 0, "contact_details"), ["101"], "people, item 1, contact_details: found a"),
        (("neighbourhood", "links"), {"url": "x"}, "neighbourhood, links: found an object"),
    ],
)
def test_a_part_of_another_shape_is_refused_naming_its_place(tmp_path, place, value, said):
    data = {CODE: replaced(_fixture()[CODE], place, value)}
    message = _refused(tmp_path, data)
    assert message.startswith(f"{HOOD}, {said}"), message


@pytest.mark.parametrize(
    "place, value, said",
    [
        (("people", 0, "rank"), ["Sgt", "PC"], "people, item 1, rank: found a list (2 items)"),
        (("people", 0, "name"), {"first": "Jo"}, "people, item 1, name: found an object (keys "),
        (("events", 0, "title"), True, "events, item 1, title: found true"),
        (("events", 0, "address"), [], "events, item 1, address: found a list (0 items)"),
        (("priorities", 0, "action"), ["<p>Patrols</p>"], "priorities, item 1, action: found a"),
        (("neighbourhood", "name"), ["Abbey", "Park"], "neighbourhood, name: found a list"),
        (("neighbourhood", "description"), False, "neighbourhood, description: found false"),
        (("neighbourhood", "links", 1, "url"), ["https://x"], "neighbourhood, links, item 2, url"),
        (
            ("neighbourhood", "links", 1, "description"),
            ["a"],
            "neighbourhood, links, item 2, description: found a list (1 item)",
        ),
        (
            ("neighbourhood", "links", 1, "description"),
            {"en": "Our site"},
            "neighbourhood, links, item 2, description: found an object (keys en)",
        ),
        (
            ("neighbourhood", "links", 1, "description"),
            True,
            "neighbourhood, links, item 2, description: found true",
        ),
        (
            ("neighbourhood", "contact_details", "email"),
            ["a@example.police.uk"],
            "neighbourhood, contact_details, email: found a list (1 item)",
        ),
        (
            ("neighbourhood", "contact_details", "e\x1bmail"),
            {"x": 1},
            "neighbourhood, contact_details, 'e\\x1bmail': found an object",
        ),
    ],
)
def test_a_field_that_is_no_text_is_refused_naming_its_place(tmp_path, place, value, said):
    """A list or an object was published as nothing, true as "True": the team's words lost
    or changed, without a word."""
    data = {CODE: replaced(_fixture()[CODE], place, value)}
    message = _refused(tmp_path, data)
    assert message.startswith(f"{HOOD}, {said}"), message
    assert "\x1b" not in message  # (a key's escape sequence never reaches the message bar)


@pytest.mark.parametrize("bundle", ["Abbey Park team", 3, None, [{"name": "Jo"}], False])
def test_a_neighbourhood_that_is_no_object_is_refused(tmp_path, bundle):
    message = _refused(tmp_path, {"E02002835": bundle, **_fixture()})
    assert (
        message.startswith("team.json: neighbourhood E02002835, found ")
        and "where a neighbourhood's team information belongs" in message
    ), message


@pytest.mark.parametrize("item", ["E02002835", 5, None, [], ["E02002835"]])
def test_an_item_of_the_list_form_that_is_no_object_is_refused(tmp_path, item):
    listed = [_fixture()[CODE], item]
    message = _refused(tmp_path, listed)
    assert message.startswith("team.json: item 2 of the list, found "), message


def test_an_item_of_the_list_form_without_its_code_is_refused(tmp_path):
    """It was skipped in silence, and with it a neighbourhood's whole team."""
    bundle = _fixture()[CODE]
    del bundle["neighbourhood"]["id"]
    message = _refused(tmp_path, [{"neighbourhood": {"id": "E1"}}, bundle])
    assert message.startswith(
        "team.json: item 2 of the list has no neighbourhood code (neighbourhood, id)"
    ), message


def test_a_blank_code_holding_a_team_is_refused(tmp_path):
    message = _refused(tmp_path, {" ": _fixture()[CODE]})
    assert message.startswith("team.json: the neighbourhood code ' ' is blank"), message


def test_numbers_read_as_the_text_they_are_and_null_as_none_given(tmp_path):
    """The control: numbers are read as the CSV reads their cells (as text), null and
    empty parts as none given, and an item of the list form holding nothing is passed
    over, as a blank CSV row is."""
    data = _fixture()
    bundle = data[CODE]
    bundle["people"] = [{"name": "Jo Bloggs", "rank": 3, "contact_details": {"telephone": 101}}]
    bundle["priorities"] = None
    bundle["neighbourhood"]["contact_details"] = None
    bundle["neighbourhood"]["links"] = None
    bundle["events"] = [{"title": 2022, "type": 1.5, "address": None}]
    team = read_team(_write(tmp_path, [bundle, {}, {"neighbourhood": None}]))[CODE]
    assert [(p["name"], p["rank"]) for p in team.people] == [("Jo Bloggs", "3")]
    assert [text for _label, text, _href in team.people[0]["contacts"]] == ["101"]
    assert [(e["title"], e["type"]) for e in team.events] == [("2022", "1.5")]
    assert team.priorities == [] and team.contacts == [] and team.links == []

    csv_path = tmp_path / "team.csv"
    csv_path.write_text(
        "code,kind,name,rank,title,type\nN1,person,Jo Bloggs,3,,\nN1,event,,,2022,1.5\n",
        encoding="utf-8",
    )
    from_csv = read_team(csv_path)["N1"]
    assert [(p["name"], p["rank"]) for p in from_csv.people] == [("Jo Bloggs", "3")]
    assert [(e["title"], e["type"]) for e in from_csv.events] == [("2022", "1.5")]


# --- fuzz: every place of a real team file, replaced by a value of each type ----------------

HOSTILE: list[Any] = ["text", 5, 2.5, None, True, False, [], ["a", 1], {}, {"a": [1]}]


def _holds(value: Any) -> bool:
    """Whether a JSON value holds anything a team could lose (the test's own reading)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(_holds(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v) for v in value)
    return True


def _given(value: Any) -> int:
    """How many items a list part holds that hold anything (a part of another type that
    holds anything counts as one: it must be published or refused, never lost)."""
    if isinstance(value, list):
        return sum(1 for item in value if _holds(item))
    return 1 if _holds(value) else 0


def _python_spelling(text: str) -> bool:
    return text in ("True", "False") or text.startswith(("[", "{"))


@pytest.mark.parametrize("seed", range(4))
def test_every_place_replaced_by_another_type_is_read_whole_or_refused(tmp_path, seed):
    """Each place of the fixture (each value, list and object at every level) replaced in
    turn by a value of another type: the reader either refuses the file with a TeamError or
    publishes every person, priority, event and link (or warns of the link) that holds
    anything, and no text in Python's spelling of a list, an object or true/false."""
    rng = random.Random(seed)
    original = _fixture()
    for place in json_places(original):
        value = rng.choice(HOSTILE)
        data = replaced(original, place, value)
        try:
            teams = read_team(_write(tmp_path, data))
        except TeamError as exc:
            assert str(exc).startswith("team.json: "), (place, value, exc)
            continue
        bundle = data.get(CODE) if isinstance(data, dict) else None
        if not isinstance(bundle, dict):
            assert not _holds(bundle), (place, value)
            continue
        team = teams[CODE]
        for key, got in (
            ("people", team.people),
            ("priorities", team.priorities),
            ("events", team.events),
        ):
            assert len(got) == _given(bundle.get(key)), (place, value, key)
        hood = bundle.get("neighbourhood")
        if not isinstance(hood, dict):
            assert not _holds(hood), (place, value)
            continue
        links = len(team.links) + len(team_warnings(teams))
        assert links == _given(hood.get("links")), (place, value)
        texts = [team.name] + [t for c in team.contacts for t in c[:2]]
        texts += [p[k] for p in team.people for k in ("name", "rank")]
        texts += [e[k] for e in team.events for k in ("title", "type", "address")]
        assert not any(_python_spelling(t) for t in texts), (place, value, texts)


def test_the_fixture_itself_reads(tmp_path):
    """The control for the fuzz: the unchanged file reads, every item that holds anything."""
    data = copy.deepcopy(_fixture())
    team = read_team(_write(tmp_path, data))[CODE]
    assert (len(team.people), len(team.priorities), len(team.events)) == (2, 2, 2)


@pytest.mark.parametrize(
    "written",
    ["1e999", "-1E400", "1e-999", "1.50", "123456789012345678901234567890.5", "1e3", "-0", "7"],
)
def test_a_number_where_text_belongs_is_published_as_written(tmp_path, written):
    """A number reads as the text it is written as (as the team CSV's cell would): read as
    a float, 1e999 was published as "inf", 1e-999 as "0.0", 1.50 as "1.5" and a long number
    without its last digits."""
    path = tmp_path / "team.json"
    text = '{"N1": {"neighbourhood": {"name": NUMBER}, "people": [{"name": "Jo", "rank": NUMBER}]}}'
    path.write_text(text.replace("NUMBER", written), encoding="utf-8")
    team = read_team(path)["N1"]
    assert (team.name, team.people[0]["rank"]) == (written, written)


def test_a_number_where_an_object_belongs_is_named_as_written(tmp_path):
    path = tmp_path / "team.json"
    path.write_text('{"N1": {"people": [1.50]}}', encoding="utf-8")
    with pytest.raises(TeamError) as caught:
        read_team(path)
    assert str(caught.value).startswith(
        "team.json: neighbourhood N1, people, item 1: found the number 1.50 where a person belongs"
    ), caught.value


def test_a_long_key_of_an_object_found_is_cut_in_the_message(tmp_path):
    """A team file's object where text belongs is named by its first keys, as every key of a
    user's file is shown (text_file.shown_key): a key 5,000 characters long was quoted whole,
    so the refusal was longer than the message bar or a log line shows."""
    place, value = ("people", 0, "name"), {"k" * 5_000: 1}
    message = _refused(tmp_path, {CODE: replaced(_fixture()[CODE], place, value)})
    assert message.startswith(
        f"{HOOD}, people, item 1, name: found an object (keys '{'k' * 60}'... (5,000 characters))"
    ), message
    assert "k" * 61 not in message
