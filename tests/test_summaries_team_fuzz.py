"""Fuzz the team-file readers (CSV and JSON) with damage a team's file can bring, built
from a valid file's structure rather than its bytes: stray and unbalanced quotes, NUL, bare
CR, megabyte lines, byte-order marks (leading and inside), Latin-1 bytes, rows cut short or
too long, unknown kinds and columns, dates with and without zones (impossible ones too);
in JSON, each value swapped for another type (null, true, numbers past any range, lists,
objects, text of every length), keys renamed or dropped, items repeated, nesting thousands
deep, and UTF-16 or UTF-8 BOMs.

Every input either loads (and then every team reads as text, its pages' texts are
listed for the gate, and each warning is one line) or raises TeamError whose message is
one line naming the file, short enough to read; never another exception. The byte-level
mutation of the hostile team JSON is tests/test_summaries_fuzz.py's; this adds the
structural damage and the CSV. Seeded: a failure names its seed and is reproducible.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.publish.summaries_team import (
    TEAM_CSV_COLUMNS,
    Team,
    TeamError,
    published_team_texts,
    read_team,
)
from tests.support.summaries_release import TEAM

CASES = 300
#: The longest message a refusal may be: a team file's values are shown cut short.
LONGEST = 1_500

DATES = [
    "2022-10-15T10:00:00", "2022-10-15", "2022-10", "2022-10-15T10:00:00Z",
    "2026-12-10T23:30:00-02:00", "2026-12-11T00:00:00+01:00", "2022-10-15T10:00:00+99:99",
    "2022-02-30", "0000-01-01", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
    "2022-10-15T25:61", "2022-10-15T10:00:00.123456789Z", "next Tuesday", " ",
]  # fmt: skip
TEXTS = [
    "", " ", "Jo", '5" blade', '"quoted"', "a,b", "line\nbreak", "bare\rCR", "nul\x00here",
    "\ufeffbom", "\ud7ff\uffff", "<script>x</script>", "<a href='javascript:x'>y</a>",
    "é" * 10, "x" * 5_000, "x" * 5_001, "y" * 1_000_000, "0116 248 2222", "a@b.uk",
    "\u202e\u2028\u0085", "nan", "NaN",
]  # fmt: skip


def _value(rng: random.Random) -> Any:
    """Any JSON value, of any type, a team file might hold where another belongs."""
    kind = rng.randrange(9)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 1.5, 10**30, -(10**400) // 10**390, 1e308, 2**63])
    if kind == 2:
        return rng.choice(DATES)
    if kind == 3:
        return rng.choice(TEXTS)
    if kind == 4:
        return [rng.choice(TEXTS[:6]) for _ in range(rng.randrange(3))]
    if kind == 5:
        return {rng.choice(["name", "x", "", "telephone", "\x00"]): rng.choice(TEXTS[:6])}
    if kind == 6:  # nesting deep, though not past the reader's recursion limit
        value: Any = "deep"
        for _ in range(rng.choice([10, 200, 900])):
            value = [value] if rng.random() < 0.5 else {"a": value}
        return value
    if kind == 7:
        return [{"title": rng.choice(TEXTS), "url": rng.choice(TEXTS)}]
    return rng.choice(TEXTS[:8])


def _places(value: Any) -> list[tuple]:
    """Every place in a parsed JSON document (the key paths of its values), read with a
    stack of its own (a value may nest past the recursion limit)."""
    out, pending = [], [((), value)]
    while pending:
        path, item = pending.pop()
        out.append(path)
        if isinstance(item, dict):
            pending += [((*path, key), part) for key, part in item.items()]
        elif isinstance(item, list):
            pending += [((*path, index), part) for index, part in enumerate(item)]
    return out


def _at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def _damage_bundles(data: Any, rng: random.Random) -> Any:
    """Damage to the bundles themselves: a code or id left blank, and deep nesting in the
    API's parts the summaries do not read (``locations``, ``centre``: never shape-checked)."""
    if not isinstance(data, dict):
        return data
    for code in list(data):
        bundle = data[code]
        hood = bundle.get("neighbourhood") if isinstance(bundle, dict) else None
        if isinstance(hood, dict) and rng.random() < 0.3:
            hood[rng.choice(["locations", "centre"])] = _nested(rng.choice([50, 400, 900]))
        if isinstance(hood, dict) and rng.random() < 0.2:
            hood["id"] = rng.choice(["", " ", None, "E9"])
        if rng.random() < 0.15:  # (a code blank, or a megabyte long)
            data[rng.choice(["", "  ", "\t", " " * 2**20, "E" * 2**20])] = data.pop(code)
    return data


def _damage_json(data: Any, rng: random.Random) -> Any:
    data = _damage_bundles(data, rng)
    for _ in range(rng.randint(0, 3)):
        places = _places(data)
        path = rng.choice(places)
        if not path:
            data = rng.choice([data, [data], _value(rng), {"": data}, {" E1 ": data}])
            continue
        parent, last = _at(data, path[:-1]), path[-1]
        action = rng.randrange(5)
        if action == 0 or action == 1:  # another value, of any type
            parent[last] = _value(rng)
        elif action == 2 and isinstance(parent, dict):  # a key renamed (a typo) or dropped
            item = parent.pop(last)
            if rng.random() < 0.7:
                renamed = [last[:-1], last.upper(), last + " ", "\x00", "-" + last, "k" * 2**20]
                parent[rng.choice(renamed)] = item
        elif action == 3 and isinstance(parent, list):  # an item repeated
            parent.insert(last, json.loads(json.dumps(parent[last])))
        elif isinstance(parent, dict):  # a key the reader does not know
            parent[rng.choice(["priorites", "Name", "contact", "start-date", "end_date"])] = _value(
                rng
            )
    return data


def _json_bytes(data: Any, rng: random.Random) -> bytes:
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5)
    kind = rng.randrange(10)
    if kind == 0:
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if kind == 1:
        return text.encode("utf-16")  # (a UTF-16 BOM: not the UTF-8 a team file is)
    if kind == 2:
        depth = rng.choice([1_000, 100_000])
        return ("[" * depth + "]" * depth).encode()
    if kind == 3:  # a byte-order mark inside the text
        position = rng.randrange(len(text) + 1)
        return (text[:position] + "\ufeff" + text[position:]).encode("utf-8")
    if kind == 4:
        return text.encode("utf-8")[: rng.randrange(len(text) + 1)]
    if kind == 5:  # a text swapped for a number json.dumps never writes (1e999, 1.50)
        return text.replace('"Jo Bloggs"', _number(rng), 1).encode("utf-8")
    return text.encode("utf-8")


def _number(rng: random.Random) -> str:
    """A JSON number as a person might write one: any sign, digits, fraction, exponent."""
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
    number = rng.choice(["", "-"]) + (digits.lstrip("0") or "0")
    if rng.random() < 0.5:
        number += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
    if rng.random() < 0.5:
        number += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 9999))
    return number


def _csv_rows(rng: random.Random) -> list[list[str]]:
    """A valid team CSV's rows (header first): every kind, with the columns each reads."""
    header = list(TEAM_CSV_COLUMNS)
    rows = [header]
    values = {
        "neighbourhood": {"name": "Abbey Park", "telephone": "101", "email": "a@b.uk"},
        "link": {"url": "https://www.police.uk/", "title": "Police", "description": "Ours"},
        "person": {"name": "Jo Bloggs", "rank": "Sgt", "bio": "<p>Joined</p>"},
        "priority": {"issue": "ASB", "issue-date": "2022-07-08", "action": "Patrols"},
        "event": {"title": "Beat meeting", "start_date": "2022-11-17T18:00:00"},
    }
    for code in ("E1", "E2"):
        for kind, fields in values.items():
            rows.append([{"code": code, "kind": kind, **fields}.get(c, "") for c in header])
    rng.shuffle(rows[1:])
    return rows


def _damage_csv(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    for _ in range(rng.randint(1, 4)):
        row = rng.randrange(len(rows))
        cells = rows[row]
        cell = rng.randrange(len(cells)) if cells else 0
        action = rng.randrange(8)
        if action == 0 and cells:
            cells[cell] = rng.choice(TEXTS)
        elif action == 1 and cells:
            cells[cell] = rng.choice(DATES)
        elif action == 2 and cells:
            cells[cell] = rng.choice(["officer", "Person", " event ", "", "\x00", "kind"])
        elif action == 3:
            del cells[cell : cell + rng.randint(1, 3)]
        elif action == 4:
            cells.insert(cell, rng.choice(TEXTS[:8]))
        elif action == 5:
            rows.insert(row, list(rows[row]))
        elif action == 6 and row == 0 and cells:
            cells[cell] = rng.choice(["Name", "start-date", "nmae", "", " URL ", "\ufeffcode"])
        else:
            rows.insert(row, [])
    return rows


def _csv_bytes(rows: list[list[str]], rng: random.Random) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=rng.choice(["\r\n", "\n"])).writerows(rows)
    data = out.getvalue().encode("utf-8", "surrogatepass")
    for _ in range(rng.randint(0, 3)):  # damage the writer would never make
        position = rng.randrange(len(data) + 1)
        piece = rng.choice(
            [b'"', b'""', b"\x00", b"\r", b"\n", b",", codecs.BOM_UTF8, b"\xe9", b"x" * 2**20]
        )
        data = data[:position] + piece + data[position:]
    if rng.random() < 0.1:
        data = codecs.BOM_UTF8 + data
    return data


_PLANTED = re.compile(rb'"people": \[\{"name": (-?[0-9][0-9.eE+-]*)')


def _check(path: Path, seed: int) -> None:
    """Loads, or TeamError with one readable line naming the file; never anything else. A
    number planted as a person's name (_number) that loads is that person's name as
    written."""
    try:
        teams = read_team(path)
    except TeamError as exc:
        message = str(exc)
        assert path.name in message or "cannot read team information" in message, (seed, message)
        assert 0 < len(message) <= LONGEST, (seed, len(message), message[:300])
        assert not set(message) & {"\x00", "\r", "\n", "\u2028"}, (seed, message[:300])
        return
    except Exception as exc:  # noqa: BLE001 - the finding: named with its seed
        pytest.fail(f"seed {seed}: {type(exc).__name__}: {exc!s:.300}")
    assert all(isinstance(team, Team) for team in teams.values())
    planted = _PLANTED.search(path.read_bytes())
    if planted and teams:
        names = [person["name"] for team in teams.values() for person in team.people]
        assert planted.group(1).decode() in names, (seed, planted.group(1), names)
    published_team_texts(teams)  # (what the gate is given: every text reads)
    for team in teams.values():
        for warning in team.warnings:
            assert path.name in warning and len(warning) <= LONGEST, (seed, warning[:300])
            assert not set(warning) & {"\x00", "\r", "\n"}, (seed, warning[:300])


@pytest.mark.parametrize("start", range(0, CASES, 50))
def test_damaged_team_json_loads_or_is_refused_clearly(tmp_path: Path, start: int) -> None:
    valid = json.loads(TEAM.read_text(encoding="utf-8"))
    for seed in range(start, start + 50):
        rng = random.Random(seed)
        data = _damage_json(json.loads(json.dumps(valid)), rng)
        if rng.random() < 0.3:  # the list form, each keyed by its neighbourhood.id
            data = list(data.values()) if isinstance(data, dict) else data
        path = tmp_path / "team.json"
        try:
            path.write_bytes(_json_bytes(data, rng))
        except (RecursionError, ValueError, UnicodeEncodeError):
            continue  # (json.dumps refuses it: no file to read)
        _check(path, seed)


@pytest.mark.parametrize("start", range(0, CASES, 50))
def test_damaged_team_csv_loads_or_is_refused_clearly(tmp_path: Path, start: int) -> None:
    """Under the csv reader's default cell limit and under the one a loader raises it to
    (the limit is the process's): a megabyte cell is past the one, within the other."""
    before = csv.field_size_limit(131_072 if start % 100 else 2**30)
    try:
        for seed in range(start, start + 50):
            rng = random.Random(seed)
            path = tmp_path / "team.csv"
            path.write_bytes(_csv_bytes(_damage_csv(_csv_rows(rng), rng), rng))
            _check(path, seed)
    finally:
        csv.field_size_limit(before)


def test_the_undamaged_inputs_load(tmp_path: Path) -> None:
    """The control: undamaged, the CSV the fuzz starts from makes both teams whole (the
    fuzz is not all refusals of a file that never read)."""
    path = tmp_path / "team.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(_csv_rows(random.Random(1)))
    teams = read_team(path)
    assert sorted(teams) == ["E1", "E2"]
    assert [p["name"] for p in teams["E1"].people] == ["Jo Bloggs"]
    assert teams["E2"].events[0]["when"] == "Thursday 17 November 2022, 18:00"
    assert read_team(TEAM)


@pytest.mark.parametrize(
    "text",
    [
        '{" ": {"neighbourhood": {"locations": DEEP}}}',  # (a blank code holding a team)
        '[{"neighbourhood": {"id": "", "centre": DEEP}}]',  # (a list item without its id)
    ],
)
def test_deep_nesting_in_a_part_never_read_is_a_team_error(tmp_path: Path, text: str) -> None:
    """The API's parts no page shows (locations, centre) are never shape-checked: nested
    600 deep (well within what the JSON reader takes) under a blank code or an item with
    no id, they raised RecursionError, a traceback, not the refusal naming the code."""
    path = tmp_path / "team.json"
    path.write_text(text.replace("DEEP", "[" * 600 + '"x"' + "]" * 600), encoding="utf-8")
    with pytest.raises(TeamError, match="team.json: (the neighbourhood code|item 1 of the list)"):
        read_team(path)
