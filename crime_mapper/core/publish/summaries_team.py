"""Neighbourhood team information for the summaries: who the team are, their priorities and
what they did, their events (how to get involved).

Read from JSON shaped like the police.uk neighbourhood API, either one object per
neighbourhood code ``{"E02...": {"neighbourhood": {...}, "people": [...], "priorities":
[...], "events": [...]}}`` or a list of such objects whose ``neighbourhood.id`` is the code;
or from a CSV with one row per item: ``code,kind,...`` where kind is neighbourhood, person,
priority, event or link and the other columns are the API's field names. A JSON key that is
not one of the API's (TEAM_KEYS: a typo such as ``priorites``), a contact detail's key a
typo away from a known one (CONTACT_KEYS: ``telphone``; any other key is the team's own
label) and a text longer than MAX_TEXT characters are refused naming the neighbourhood and
the place: each was dropped, published under the typo or cut short in silence. So are the
other values the reader would drop: a CSV value in a column its row's kind does not read
(CSV_KIND_COLUMNS), a JSON ``neighbourhood.id`` that is not the code it is keyed by, and a
date given under both its spellings as two different dates. A link's description, which no
page shows, is taken and left out with a warning, from JSON and CSV alike, whatever its
length (_UNSHOWN_TEXT).

The API's numbers come as strings, many fields are null, and descriptions hold HTML. Every
text is reduced to a few harmless tags (p, br, strong, em, b, i, ul, ol, li, and a with an
http(s)/mailto/tel link); everything else is dropped and every text node escaped, so a hostile
``<script>``, ``onerror=`` or ``javascript:`` link cannot reach a page. Events are shown
with their day and times ("Saturday 15 October 2022, 10:00 to 12:00"), priorities to the
month; a date that is no date ("2022-02-30", "25:61", year 0) is refused. A date is UK
time: one with a zone ("Z", "+01:00") is shown on the UK's clock, and refused when that
is another day than the one written (zone_problem). The leak gate
refuses day-precise dates and contact details in public outputs, so
:func:`published_team_texts` lists exactly the event dates as rendered and the contacts the
team data holds; the gate exempts those whole texts from its date and contact checks only.
Imports nothing from QGIS.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Optional, Union

from markupsafe import Markup

from ..common.csv_records import first_nul_line
from ..common.json_file import JsonNumber, read_json_file
from ..common.text_file import check_file, page_text, shown_key, shown_line
from ..gate.scan import find_contacts

PathLike = Union[str, Path]
ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a"})
_VOID = frozenset({"br"})
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "svg"})
_SAFE_URL = re.compile(r"^(https?://|mailto:|tel:)[^\s\"'<>`]*$", re.I)
#: The characters one team text may hold, markup included (a page is not a dumping ground,
#: and it bounds the sanitiser's work). A longer one is refused naming its place (too_long):
#: it was cut to this length in silence, so the page showed a text the team never wrote.
MAX_TEXT = 5_000
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MAX_CONTACTS = 10_000  # per text: far more than any team writes, and a bound on the work


class TeamError(ValueError):
    """A team file that cannot be read, with why."""


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        tag = tag.lower()
        if tag in _DROP_CONTENT:
            self.skip += 1
            return
        if self.skip or tag not in ALLOWED_TAGS:
            return
        if tag == "a":
            href = next((v for k, v in attrs if k.lower() == "href" and v), "")
            href = href.strip()
            if not _SAFE_URL.match(href):
                self.out.append("<a>")
            else:
                self.out.append(f'<a href="{html.escape(href, quote=True)}" rel="nofollow">')
        else:
            self.out.append(f"<{tag}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag.lower() == "br" and not self.skip:
            self.out.append("<br>")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _DROP_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:  # (as a page shows it: page_text; see sanitise_html)
            self.out.append(html.escape(page_text(data), quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitise_html(text: Any) -> Markup:
    """Safe HTML from untrusted HTML-ish text (see the module notes), its text without
    format characters (text_file.page_text: bidi overrides, zero-width spaces).

    Why page_text, here and in :func:`plain`: the leak gate reads a page's text without
    them, in the order it is written, and a right-to-left override made the browser show
    that text reversed: a raw value written backwards after one ("<RLO>kawoN 0911 CP") was
    read by the gate as it was written and shown to the public the right way round, as the
    location labels and names were before they went through page_text."""
    if text is None:
        return Markup("")
    text = str(text).replace("\x00", "")  # (its length: the readers refuse past MAX_TEXT)
    parser = _Sanitiser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - anything odd: show it as plain text
        return Markup(html.escape(page_text(text)))
    return Markup(parser.result())


def plain(value: Any) -> str:
    """A short field as text: None/null -> "", numbers as written, HTML tags removed, format
    characters too (page_text: see sanitise_html)."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return ""
    text = page_text(str(value).replace("\x00", ""))  # (the length: readers refuse past MAX_TEXT)
    if "<" in text:
        text = re.sub(r"\s+", " ", _text_only(text)).strip()
    return text.strip()


def _text_only(text: str) -> str:
    parser = _Sanitiser()
    parser.feed(text)
    parser.close()
    return html.unescape(re.sub(r"<[^>]*>", " ", parser.result()))


def month_of(value: Any) -> str:
    """'2016-09-17T12:00:00' -> 'September 2016' (month precision); '' if unreadable."""
    match = re.match(r"\s*(\d{4})-(\d{2})", plain(value))
    if not match:
        return ""
    year, month = int(match.group(1)), int(match.group(2))
    return f"{_MONTHS[month - 1]} {year}" if 1 <= month <= 12 else ""


_DATE_TIME = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?\s*$"
)


def _written(match: re.Match) -> tuple[Optional[str], ...]:
    """(year, month, day, hour, minute, second) of a _DATE_TIME match as written (its zone
    aside: _uk_clock reads it)."""
    return match.groups()[:6]


def _moment(value: Any) -> Optional[tuple[datetime.date, Optional[str]]]:
    """(day, "HH:MM" or None) of an API date such as '2016-09-17T12:00:00' on the UK's clock
    (_uk_reading: a zone read as the moment it names); None if it is not one. Midnight
    written counts as no time given (the API writes dates as T00:00:00)."""
    match = _DATE_TIME.match(plain(value))
    if not match:
        return None
    try:
        reading = _uk_reading(match)
    except (ValueError, OverflowError):  # (no date or time of the calendar: date_problem)
        return None
    if reading is None:
        return None
    if (reading.hour, reading.minute) == (0, 0):
        return reading.date(), None
    return reading.date(), f"{reading:%H:%M}"


#: The years a team's date may name. Why: "0000-01-01" (damage, or a blank date exported by a
#: spreadsheet) was published as "January 0"; no neighbourhood event or priority is dated
#: before 1900 or after 2099.
FIRST_YEAR, LAST_YEAR = 1900, 2099
_MONTH_ONLY = re.compile(r"\s*(\d{4})-(\d{2})\s*$")


def date_problem(value: Any, month_only: bool = False) -> str:
    """Why ``value`` (an event's or priority's date) cannot be shown, or "" when it can (a
    date, or none given: null or blank). ``month_only`` also takes "2022-10" (a priority is
    shown to the month).

    Why: an impossible date ("2022-02-30", "25:61", year 0) was read as no date at all, and
    the page showed the event's month anyway ("February 2022", "January 0"): a date the team
    never gave, published. The readers refuse it instead, naming the item and the value, as
    they refuse any other damage in a team file."""
    if value is None:
        return ""
    text = "" if isinstance(value, (dict, list, bool)) else str(value).strip()
    if not text and isinstance(value, str):
        return ""
    match = _DATE_TIME.match(text) or (_MONTH_ONLY.match(text) if month_only else None)
    if not match:
        shape = "2022-10-15T10:00:00" + (" or 2022-10" if month_only else "")
        return f"is not a date (written as {shape})"
    groups = match.groups()
    year, month = int(groups[0]), int(groups[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"has the year {year} (a date is from {FIRST_YEAR} to {LAST_YEAR})"
    if not 1 <= month <= 12:
        return "is no date of the calendar (no such month)"
    if len(groups) > 2:  # (a day, and a time when its hour is given: _DATE_TIME)
        day, hour, minute, second = _written(match)[2:]
        try:
            datetime.date(year, month, int(day or ""))
        except ValueError:
            return "is no date of the calendar (no such day)"
        if hour is not None and (int(hour) > 23 or int(minute or 0) > 59 or int(second or 0) > 59):
            return "is no time of day"
        return zone_problem(match, month_only)
    return ""


#: The UK's summer time (BST, an hour ahead of UTC): from 01:00 UTC on the last Sunday of
#: March to 01:00 UTC on the last Sunday of October, the rule since 1996. Written here
#: rather than read from a time zone database: Python on Windows, where most QGIS runs, has
#: none without the tzdata package (and a page must not change with the machine it is made on).
_BST = datetime.timedelta(hours=1)
_BST_CHANGE = datetime.time(1, 0)
#: The first year the rule above gives the UK's clock. Before it the UK changed its clocks
#: by other rules (to 1995, back on the day after October's fourth Saturday; 1968 to 1971,
#: BST all year), so a date before it written with a zone is refused (zone_problem), never
#: shown an hour off: "1995-10-25T12:00:00Z" was published as 13:00, when the UK's clocks
#: said 12:00 (GMT). A date without a zone is the UK's own time: no rule reads it.
RULE_FIRST_YEAR = 1996


def _last_sunday(year: int, month: int) -> datetime.date:
    last = datetime.date(year, month, 31)  # (March and October both have 31 days)
    return last - datetime.timedelta(days=(last.weekday() + 1) % 7)


def uk_time(utc: datetime.datetime) -> datetime.datetime:
    """The UK's clock time (GMT, or BST in summer: _BST) at ``utc`` (naive, in UTC)."""
    start = datetime.datetime.combine(_last_sunday(utc.year, 3), _BST_CHANGE)
    end = datetime.datetime.combine(_last_sunday(utc.year, 10), _BST_CHANGE)
    return utc + _BST if start <= utc < end else utc


def _offset(zone: str) -> Optional[datetime.timedelta]:
    """The offset from UTC a zone ('Z', '+01:00', '-0200') names; None when it names none
    (minutes past 59, or a day or more)."""
    if zone == "Z":
        return datetime.timedelta(0)
    hours, minutes = int(zone[1:3]), int(zone[-2:])
    if hours > 23 or minutes > 59:
        return None
    size = datetime.timedelta(hours=hours, minutes=minutes)
    return size if zone[0] == "+" else -size


def _uk_clock(match: re.Match) -> Optional[datetime.datetime]:
    """The UK's clock time a _DATE_TIME match names: as written when it has no zone (the
    API writes the UK's own time, with none); else the moment its zone names, on the UK's
    clock (uk_time). None when its zone names no offset (_offset), or when it is written
    before RULE_FIRST_YEAR (the rule uk_time reads the UK's clock by is not that year's)."""
    year, month, day, hour, minute, second = (int(part or 0) for part in _written(match))
    written = datetime.datetime(year, month, day, hour, minute, second)
    zone = match.group("zone")
    if not zone:
        return written
    offset = _offset(zone)
    if offset is None or year < RULE_FIRST_YEAR:
        return None
    return uk_time(written - offset)


def _clock_shown(when: datetime.datetime) -> str:
    """A clock time as a message shows it: 'Friday 11 December 2026, 01:30'; the day alone
    at midnight (as the page shows a date written alone: _moment)."""
    return _day(when.date()) + (f", {when:%H:%M}" if (when.hour, when.minute) != (0, 0) else "")


def _uk_reading(match: re.Match) -> Optional[datetime.datetime]:
    """What the page shows of a _DATE_TIME match, on the UK's clock (_uk_clock): its day
    and time, or its day at midnight when it is written at midnight (a date alone, as the
    API writes one: ``2022-10-15T00:00:00Z`` is 15 October, not 01:00 on it in summer).
    None when its zone names no offset, or its year is before RULE_FIRST_YEAR (_uk_clock);
    ValueError or OverflowError when it names no date or time of the calendar (date_problem
    says which)."""
    clock = _uk_clock(match)
    hour, minute = (int(part or 0) for part in _written(match)[3:5])
    if clock is None or (hour, minute) != (0, 0):
        return clock
    return datetime.datetime.combine(clock.date(), datetime.time(0))


def zone_problem(match: re.Match, month_only: bool = False) -> str:
    """Why a date written with a zone (``Z``, ``+01:00``, ``-02:00``) cannot be shown, or ""
    when it can: none given, or one that names, on the UK's clock, the day written (for a
    priority, shown to the month, ``month_only``: the month written). Such a date is
    shown on the UK's clock (_moment): ``2022-10-15T10:00:00Z`` as 11:00 in summer, the
    time the public reads on their own clocks. Why: the zone was not read, so
    ``2026-12-10T23:30:00-02:00`` (01:30 on 11 December in the UK) was published as
    Thursday 10 December, 23:30, and ``10:00Z`` in summer an hour early, and nobody was
    told. Refused when the day changes: which day the team meant (the one written, or the
    one their system's zone names) only the team can say; the message gives both. Refused
    too when written before RULE_FIRST_YEAR, whose UK clock the rule does not give."""
    zone = match.group("zone")
    if not zone:
        return ""
    if int(_written(match)[0] or 0) < RULE_FIRST_YEAR:
        return (
            f"has the zone {zone} on a date before {RULE_FIRST_YEAR}, when the UK changed its "
            "clocks by other rules than the one it is read by: write the UK date and time the "
            "team means, without a zone"
        )
    reading = _uk_reading(match)
    if reading is None:
        return f"has the zone {zone}, which is no offset from UTC (at most 23:59)"
    year, month, day = (int(part or "") for part in _written(match)[:3])
    if month_only:
        shown, same = "month", (reading.year, reading.month) == (year, month)
    else:
        shown, same = "day", reading.date() == datetime.date(year, month, day)
    if same:
        return ""
    return (
        f"is {_clock_shown(_uk_clock(match) or reading)} in the UK (its zone {zone} read "
        f"on the UK's clock), another {shown} than the one written: write the UK date and "
        "time the team means, without a zone"
    )


def _dates_refused(item: dict[str, Any], what: str, keys: tuple[str, ...]) -> str:
    """The first of ``item``'s dates (API names, then their CSV/underscore spellings) that
    date_problem refuses, as one line naming the item, the field and the value; "" if none."""
    for key in keys:
        for name in dict.fromkeys((key, key.replace("_", "-"), key.replace("-", "_"))):
            if name in item:
                why = date_problem(item[name], month_only=what == "priority")
                if why:
                    return f"{what} {_item_name(item, what)}: {name} {_shown(item[name])} {why}"
    return _event_order_problem(item) if what == "event" else ""


def _given(item: dict[str, Any], key: str) -> tuple[str, Any]:
    """(the field name, its value) of ``key`` as team_from_api reads it: the API's
    underscore spelling, else the hyphenated one."""
    other, value = key.replace("_", "-"), item.get(key)
    return (key, value) if value or other not in item else (other, item[other])


def _event_order_problem(item: dict[str, Any]) -> str:
    """Why an event whose end is before its start cannot be shown, naming the event and
    both values; "" when it ends at or after its start, or has no end. A time left out
    (midnight, as the API writes a date alone) is no time: on the same day it is not
    before any time. Why: event_when left such an end out, so the page told the public
    of an event from its start alone, open-ended, when the team's data was wrong (an end
    typed on the wrong day, a start and end swapped); the readers refuse it instead, as
    they refuse an impossible date (date_problem)."""
    start_name, start = _given(item, "start_date")
    end_name, end = _given(item, "end_date")
    first, last = _moment(start), _moment(end)
    if first is None or last is None:
        return ""
    (day, time), (end_day, end_time) = first, last
    if end_day > day or (end_day == day and not (time and end_time and end_time < time)):
        return ""
    return (
        f"event {_item_name(item, 'event')}: {end_name} {str(end)!r} is before its "
        f"{start_name} {str(start)!r} (give the end at or after the start, or no end)"
    )


def _date_given(value: str) -> Optional[tuple[int, ...]]:
    """(year, month[, day, hour, minute, second]) of a date as the readers take it, on the
    UK's clock (a time left out is midnight, as the API writes a date alone; a zone is read
    as the moment it names: _uk_reading; a second's fraction is not read), or None when it
    is no date (date_problem names why)."""
    match = _DATE_TIME.match(value)
    if match is not None:
        try:
            reading = _uk_reading(match)
        except (ValueError, OverflowError):  # (no date, or past year 9999: date_problem)
            return None
        return None if reading is None else reading.timetuple()[:6]
    match = _MONTH_ONLY.match(value)
    return None if match is None else tuple(int(part) for part in match.groups())


def spelling_problem(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    """Why an item giving one of its dates ``keys`` under both its spellings ('_' and
    '-': start_date and start-date) with different dates is refused, naming both and
    their values; "" when each is given once, or both are the same date however written
    ("2022-10-15" and "2022-10-15T00:00:00": _date_given), or one of them is none (null or
    blank: nothing is lost), or no date (date_problem refuses it, naming why). Dates are
    compared on the UK's clock, a zone read as the moment it names: ``2026-12-10T23:30:00
    -02:00`` and ``2026-12-10T23:30:00Z`` are 01:30 on 11 December and 23:30 on 10
    December in the UK, and the message says so (the zone was not read, so the two were
    taken for one date). Why: the reader took one and ignored the other in silence, so the
    page showed a date the team may not have meant, and nobody was told which; and the same
    date written two ways was refused as two values, the texts compared rather than the
    dates."""
    for key in keys:
        one, other = key.replace("-", "_"), key.replace("_", "-")
        if one in item and other in item:
            first, second = plain(item[one]), plain(item[other])
            dates = (_date_given(first), _date_given(second))
            if first and second and None not in dates and dates[0] != dates[1]:
                return (
                    f"{one} {str(item[one])[:60]!r} and {other} {str(item[other])[:60]!r} "
                    "are one field under two spellings with different values"
                    f"{_in_the_uk(first, second)} (only one would be read): give it once"
                )
    return ""


def _in_the_uk(*values: str) -> str:
    """', in the UK X and Y' naming the UK clock times of dates of which one or more is
    written with a zone (_uk_clock), or "" when none is (each is read as written)."""
    matches = [_DATE_TIME.match(value) for value in values]
    if not any(match and match.group("zone") for match in matches):
        return ""
    clocks = [_uk_reading(match) if match else None for match in matches]
    read = [clock for clock in clocks if clock is not None]
    if len(read) < len(clocks):
        return ""
    return ", in the UK " + " and ".join(_clock_shown(clock) for clock in read)


def _refuse_two_spellings(bundle: dict[str, Any]) -> None:
    """TeamError for the first event or priority of ``bundle`` whose field is given twice
    with different values (spelling_problem), named by its place in its list and its
    heading."""
    for what, key, keys in (
        ("priority", "priorities", _PRIORITY_DATES),
        ("event", "events", _EVENT_DATES),
    ):
        for number, item in enumerate(_items(bundle.get(key)), start=1):
            problem = spelling_problem(item, keys)
            if problem:
                raise TeamError(f"{key}, item {number:,} ({_item_name(item, what)}): {problem}")


def _refuse_bad_dates(bundle: dict[str, Any]) -> None:
    """TeamError for the first event or priority of ``bundle`` with a date that cannot be
    shown (see date_problem)."""
    for what, items, keys in (
        ("priority", bundle.get("priorities"), _PRIORITY_DATES),
        ("event", bundle.get("events"), _EVENT_DATES),
    ):
        for item in _items(items):
            problem = _dates_refused(item, what, keys)
            if problem:
                raise TeamError(problem)


#: The field without which an item cannot be shown (its heading on the page).
_HEADINGS = {"person": "name", "priority": "issue", "event": "title"}


def _holds_something(value: Any) -> bool:
    """Whether ``value`` (a field, or an item's fields) holds anything a team could lose.
    Read with a stack of its own, not by recursion: a team JSON's parts the summaries do
    not read (the API's ``locations``, ``centre``) may nest as deep as the JSON reader
    takes, and recursing two frames a level raised RecursionError at 500 levels (a
    traceback, not a message) for a blank code or a list item without its id."""
    pending = [value]
    while pending:
        part = pending.pop()
        if isinstance(part, dict):
            pending.extend(part.values())
        elif isinstance(part, list):
            pending.extend(part)
        elif isinstance(part, str):
            if part.strip():
                return True
        elif part is not None:
            return True
    return False


def heading_problem(item: dict[str, Any], what: str, where: str = "") -> str:
    """Why a person with no name, a priority with no issue or an event with no title is
    refused (naming the item by ``where`` and what else it holds, and the field and value),
    or "" when it has one or holds nothing at all (a blank item, as a blank CSV row: nothing
    to lose). Why refused, not left out with a warning: the item was left off the page
    without a word, and the public read a page without the person, priority or event the
    team gave; there is nothing to show it under, so only the team's data can be put right,
    and a refusal reaches every way the summaries are made (the monthly release shows no
    summaries warnings). A heading that is only markup (``<svg onload=...>``) has
    no text once the markup is removed: refused the same way, showing the value."""
    key = _HEADINGS[what]
    if plain(item.get(key)):
        return ""
    others = {
        k: v
        for k, v in item.items()
        if k not in (key, "code", "kind") and not str(k).startswith(_NO_NAME)
    }
    if not _holds_something(item.get(key)) and not _holds_something(others):
        return ""
    shown = [f"{k} {plain(v)[:40]!r}" for k, v in others.items() if plain(v)][:2]
    named = f"{what}{where}" + (f" ({', '.join(shown)})" if shown else "")
    if _holds_something(item.get(key)):
        why = f"its {key} {str(item[key])[:80]!r} has no text once its markup is removed"
    else:
        why = f"it has no {key}"
    return f"{named}: {why}: give its {key}, or leave the {what} out of the file"


def _refuse_headless(bundle: dict[str, Any]) -> None:
    """TeamError for the first person, priority or event of ``bundle`` with no heading
    (see heading_problem), named by its place in its list."""
    for what, key in (("person", "people"), ("priority", "priorities"), ("event", "events")):
        for number, item in enumerate(_items(bundle.get(key)), start=1):
            problem = heading_problem(item, what, f" {number}")
            if problem:
                raise TeamError(problem)


def _item_name(item: dict[str, Any], what: str) -> str:
    text = plain(item.get("title") if what == "event" else item.get("issue"))
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


_EVENT_DATES = ("start_date", "end_date")
_PRIORITY_DATES = ("issue-date", "action-date")


def _day(date: datetime.date) -> str:
    return f"{_DAYS[date.weekday()]} {date.day} {_MONTHS[date.month - 1]} {date.year}"


def event_when(start: Any, end: Any = None) -> str:
    """When an event is, for the public: 'Saturday 15 October 2022, 10:00 to 12:00';
    'Saturday 15 October 2022, 18:00 to Sunday 16 October 2022, 01:00' across days;
    the day alone without a time; '' when the start is not a date. An end equal to the
    start is shown once ('10:00', not '10:00 to 10:00'); an end before the start or
    unreadable is left out (the readers refuse both first: _event_order_problem,
    date_problem)."""
    first = _moment(start)
    if first is None:
        return ""
    day, time = first
    text = _day(day) + (f", {time}" if time else "")
    last = _moment(end)
    if last is None or (last[0], last[1] or "") < (day, time or ""):
        return text
    end_day, end_time = last
    if end_day == day:
        # (an end equal to the start is one moment: "10:00", not "10:00 to 10:00")
        return f"{text} to {end_time}" if end_time and time and end_time != time else text
    return f"{text} to {_day(end_day)}" + (f", {end_time}" if end_time else "")


@dataclass
class Team:
    """One neighbourhood's team information, every text already safe to render."""

    name: str = ""
    description: Markup = field(default_factory=lambda: Markup(""))
    contacts: list[tuple[str, str, str]] = field(default_factory=list)  # (label, text, href)
    links: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    people: list[dict[str, Any]] = field(default_factory=list)
    priorities: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    # what was left out of the page and why (links with no safe address): the readers name
    # the file and the neighbourhood, run_summaries adds them to the summaries' warnings
    warnings: list[str] = field(default_factory=list)


#: The contact details the summaries know by name: those the page links (_CONTACT_HREF:
#: tel:, mailto:) and the team CSV's contact columns (_CSV_CONTACTS). Any other key is a
#: label of the team's own, unless a typo away from one of these (near_contact_key).
CONTACT_KEYS = ("telephone", "mobile", "email", "twitter", "facebook", "web")
_CONTACT_HREF = {
    "telephone": "tel:",
    "mobile": "tel:",
    "email": "mailto:",
}
#: The edits (a letter added, dropped, changed, or two swapped; capitals aside) within which
#: a contact key is taken for a typo of a known one: 2, and 1 for a known key of five letters
#: or fewer, which two edits reach from other words a team may use as labels ("evil" is two
#: from "email", "tel" two from "web").
_NEAR_EDITS, _NEAR_EDITS_SHORT, _SHORT_KEY = 2, 1, 5


def _edits(one: str, other: str) -> int:
    """The edits between two texts: letters added, dropped or changed, and two neighbours
    swapped (the optimal string alignment distance)."""
    before: list[int] = []
    row = list(range(len(other) + 1))
    for i, a in enumerate(one, start=1):
        earlier, before, row = before, row, [i] + [0] * len(other)
        for j, b in enumerate(other, start=1):
            row[j] = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + (a != b))
            if i > 1 and j > 1 and a == other[j - 2] and one[i - 2] == b:
                row[j] = min(row[j], earlier[j - 2] + 1)
    return row[-1]


def near_contact_key(key: Any) -> str:
    """The known contact key (CONTACT_KEYS) that ``key`` is not but is a typo away from
    (_NEAR_EDITS, capitals aside), the nearest if several; "" for a known key or one far
    from all of them (a label of the team's own). Why: a typo (``telphone``, ``emial``,
    ``Email``) was published under its own label, without the link its known key gets."""
    text = str(key)
    if text in CONTACT_KEYS:
        return ""
    lower, found = text.lower(), []
    for known in CONTACT_KEYS:
        limit = _NEAR_EDITS if len(known) > _SHORT_KEY else _NEAR_EDITS_SHORT
        if abs(len(lower) - len(known)) <= limit:  # (fewer edits cannot close the gap)
            edits = _edits(lower, known)
            if edits <= limit:
                found.append((edits, known))
    return min(found)[1] if found else ""


def _contacts(details: Any) -> list[tuple[str, str, str]]:
    if not isinstance(details, dict):
        return []
    out = []
    for key, value in details.items():
        text = plain(value)
        if not text:
            continue
        label = plain(key).replace("_", " ").capitalize()
        href = ""
        if key in _CONTACT_HREF:
            href = _CONTACT_HREF[key] + re.sub(r"[^\w@.+\-]", "", text)
        elif _SAFE_URL.match(text) and text.lower().startswith("http"):
            href = text
        out.append((label, text, href))
    return out


def _link_left_out(link: dict[str, Any]) -> str:
    """The warning for a link left out for want of a safe address. Why a warning, not a
    refusal: the address is never published (a ``javascript:`` link is an attack on the
    page's readers), and the API's own links are often written without ``https://``
    (``www.example.police.uk``): refusing them would stop every summaries run on data the
    analyst took from police.uk as it is. It was left out without a word."""
    title, url = plain(link.get("title")), link.get("url")
    given = f"the address {str(url)[:80]!r}" if _holds_something(url) else "no address"
    return (
        f"link {title[:60]!r} has {given}, not an http(s)://, mailto: or tel: one: "
        "left out of the page"
    )


def _description_unshown(link: dict[str, Any]) -> str:
    """The warning for a link whose description holds text, or "" when it holds none (the
    API writes null). Why a warning, not a refusal: no page shows a link's description (a
    link is its title and address: _UNSHOWN_TEXT), the API's links carry one, and the team
    CSV refused the description the JSON took, so one team's data read one way and not the
    other; taken and left out by both, the team is told it is not published. One longer
    than MAX_TEXT is warned of the same way, with its length: the limit guards against a
    text published cut short, and this one is published not at all (it was refused as
    "would not be published whole", which was untrue). Only its first MAX_TEXT characters
    are read (the sanitiser's work stays bounded). One that is not text is refused before,
    as any other text field (_TEXT_FIELDS)."""
    given = link.get("description")
    text = plain(str(given)[:MAX_TEXT]) if too_long(given) else plain(given)
    if not text and not too_long(given):
        return ""
    title = plain(link.get("title")) or plain(link.get("url"))
    length = f" ({len(str(given)):,} characters)" if too_long(given) else ""
    return (
        f"link {title[:60]!r}: its description {text[:60]!r}{length} is not shown on the "
        "page (a link shows its title and address): left out"
    )


def team_warnings(teams: dict[str, Team]) -> list[str]:
    """Every team's warnings (what was left out of the pages and why), in file order."""
    return [text for team in teams.values() for text in team.warnings]


def _safe_link(url: Any) -> str:
    text = plain(url)
    return text if _SAFE_URL.match(text) else ""


def team_from_api(bundle: Any) -> Team:
    """A Team from one police.uk-API-shaped bundle (missing parts are simply absent). An
    event or priority date that cannot be shown, and a person, priority or event with no
    heading (heading_problem), are a TeamError; a link with no safe address is left out
    and recorded in ``warnings`` (_link_left_out). So is a bundle, or a part of one, of
    another shape than the API's (shape_problem): it was left out in silence."""
    problem = shape_problem(bundle)
    if problem:
        raise TeamError(problem)
    _refuse_two_spellings(bundle)
    _refuse_bad_dates(bundle)
    _refuse_headless(bundle)
    found = bundle.get("neighbourhood")
    hood: dict[str, Any] = found if isinstance(found, dict) else {}
    team = Team(
        name=plain(hood.get("name")),
        description=sanitise_html(hood.get("description")),
        contacts=_contacts(hood.get("contact_details")),
    )
    for link in _items(hood.get("links")):
        if _safe_link(link.get("url")):
            team.links.append(
                (plain(link.get("title")) or plain(link.get("url")), plain(link["url"]))
            )
            if _description_unshown(link):
                team.warnings.append(_description_unshown(link))
        elif _holds_something(link):
            team.warnings.append(_link_left_out(link))
    for person in _items(bundle.get("people")):
        name = plain(person.get("name"))
        if name:
            team.people.append(
                {
                    "name": name,
                    "rank": plain(person.get("rank")),
                    "bio": sanitise_html(person.get("bio")),
                    "contacts": _contacts(person.get("contact_details")),
                }
            )
    for item in _items(bundle.get("priorities")):
        issue = sanitise_html(item.get("issue"))
        if issue:
            team.priorities.append(
                {
                    "issue": issue,
                    "issue_month": month_of(item.get("issue-date") or item.get("issue_date")),
                    "action": sanitise_html(item.get("action")),
                    "action_month": month_of(item.get("action-date") or item.get("action_date")),
                }
            )
    for item in _items(bundle.get("events")):
        title = plain(item.get("title"))
        if title:
            team.events.append(
                {
                    "title": title,
                    "type": plain(item.get("type")),
                    "description": sanitise_html(item.get("description")),
                    "address": plain(item.get("address")),
                    "when": event_when(
                        item.get("start_date") or item.get("start-date"),
                        item.get("end_date") or item.get("end-date"),
                    ),
                    "month": month_of(item.get("start_date") or item.get("start-date")),
                    "contacts": _contacts(item.get("contact_details")),
                }
            )
    return team


def _items(value: Any) -> list[dict]:
    """The objects of a list of items. Anything else is refused before (shape_problem), so
    this leaves nothing out of a file the readers accepted."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


#: The fields of each part of a team bundle read as text (dates included: date_problem then
#: reads their text), by what the part is; each is refused when it is not text or is longer
#: than MAX_TEXT (_part_problem), as the team CSV refuses any such cell. A link's
#: description is among them though no page shows it: it is read, to be warned of
#: (_description_unshown), so the JSON holds it to the CSV's rules.
_TEXT_FIELDS = {
    "neighbourhood": ("id", "name", "description"),
    "link": ("url", "title", "description"),
    "person": ("name", "rank", "bio"),
    "priority": ("issue", "issue-date", "issue_date", "action", "action-date", "action_date"),
    "event": (
        *("title", "type", "description", "address"),
        *("start_date", "start-date", "end_date", "end-date"),
    ),
}
#: The text fields of _TEXT_FIELDS that no page shows, by part: read, so that a file
#: holding them reads (the API's links carry a description), warned of when they hold text
#: (_description_unshown) and left out. The length limit (too_long) is not theirs: it
#: guards against a text published cut short, and these are published not at all.
_UNSHOWN_TEXT: dict[str, tuple[str, ...]] = {"link": ("description",)}
#: A bundle's lists of items, and what each item is.
_ITEM_LISTS = (("people", "person"), ("priorities", "priority"), ("events", "event"))
#: The police.uk API's fields of a neighbourhood and of a link that no page shows: known, so
#: that a file saved from the API as it is reads, and never published.
_API_UNSHOWN = ("url_force", "welcome_message", "population", "centre", "locations")
#: The keys each part of a team JSON file may hold, by what the part is: the one vocabulary
#: of key_problem and its messages. A bundle holds its neighbourhood details and its lists;
#: the rest hold their text fields (_TEXT_FIELDS) and the parts inside them. Contact
#: details are not listed: they take any key, published under its own name as the label
#: (the API's are open, and a team may add its own), but not one a typo away from one of
#: CONTACT_KEYS (near_contact_key).
TEAM_KEYS: dict[str, tuple[str, ...]] = {
    "neighbourhood": ("neighbourhood", *(key for key, _what in _ITEM_LISTS)),
    "neighbourhood details": (
        *_TEXT_FIELDS["neighbourhood"],
        *("contact_details", "links"),
        *_API_UNSHOWN,
    ),
    "link": _TEXT_FIELDS["link"],
    "person": (*_TEXT_FIELDS["person"], "contact_details"),
    "priority": _TEXT_FIELDS["priority"],
    "event": (*_TEXT_FIELDS["event"], "contact_details"),
}
#: How an item is written, for the message refusing one that is not an object.
_WRITTEN = {
    "neighbourhood": '{"neighbourhood": {"id": ..., "name": ...}, "people": [...], ...}',
    "neighbourhood details": '{"id": ..., "name": ..., "description": ...}',
    "link": '{"url": ..., "title": ...}',
    "person": '{"name": ..., "rank": ..., "bio": ...}',
    "priority": '{"issue": ..., "issue-date": ...}',
    "event": '{"title": ..., "start_date": ...}',
    "contact details": '{"telephone": ..., "email": ...}',
}


def is_text_value(value: Any) -> bool:
    """Whether a JSON value can stand where a team file's text belongs: text, a number or
    null (none given). Why a number is taken: the team CSV reads every cell as the text it
    holds, and the police.uk API writes numbers as strings ("population": "0") that a
    spreadsheet re-exports as numbers; a number reads as the text it is written as, as the
    CSV's cell would. Why a list, an object or true/false is not: the CSV has no such value,
    none is any team text, and each was published as nothing (a list or an object) or as
    Python's spelling of it ("['PC']", "True"), so the team's words were lost or changed
    without a word. (read_team_json reads a number as the text written: JsonNumber.)"""
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def found_value(value: Any) -> str:
    """What a JSON value is, for a message: its kind and a short, escaped view of it (never
    the whole of a large list or object, whose view could be a file's length)."""
    if value is None:
        return "null"
    if isinstance(value, JsonNumber):  # (a number as the file writes it: read_team_json)
        return f"the number {value[:40]}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {value[:60]!r}" + ("..." if len(value) > 60 else "")
    if isinstance(value, (int, float)):
        return f"the number {str(value)[:40]}"
    if isinstance(value, list):
        return f"a list ({len(value):,} item{'' if len(value) == 1 else 's'})"
    if isinstance(value, dict):
        keys = ", ".join(shown_key(k) for k in list(value)[:3])
        more = ", ..." if len(value) > 3 else ""
        return f"an object ({'keys ' + keys + more if value else 'empty'})"
    return type(value).__name__


#: What each part is called in a message ("where a person belongs").
_CALLED = {
    "neighbourhood": "a neighbourhood's team information",
    "neighbourhood details": "the neighbourhood's details",
    "link": "a link",
    "person": "a person",
    "priority": "a priority",
    "event": "an event",
    "contact details": "the contact details",
}


def _not_an_object(where: str, value: Any, what: str) -> str:
    return (
        (f"{where}: " if where else "")
        + f"found {found_value(value)} where {_CALLED[what]} belongs (an object, "
        f"{_WRITTEN[what]}): nothing of it could be published; write it as an object, or "
        "leave it out of the file"
    )


def _part_problem(value: Any, where: str, what: str) -> str:
    """Why one object of a bundle (its neighbourhood details, a link, a person, a priority
    or an event, ``what``) cannot be read, naming the field by ``where`` and what was
    found; "" when its shape is right. Only the fields the summaries read are checked:
    the API's other fields (centre, locations, population) are never published."""
    if not isinstance(value, dict):
        return _not_an_object(where, value, what)
    for key in _TEXT_FIELDS["neighbourhood" if what == "neighbourhood details" else what]:
        if key in value and not is_text_value(value[key]):
            return (
                f"{where}, {key}: found {found_value(value[key])} where text belongs (text, "
                "a number or null): it could not be published as written"
            )
        if key in value and _published_too_long(what, key, value[key]):
            return f"{where}, {key}: {too_long(value[key])}"
    details = value.get("contact_details")
    if what != "link" and details is not None:
        if not isinstance(details, dict):
            return _not_an_object(f"{where}, contact_details", details, "contact details")
        for key, text in details.items():
            if not is_text_value(text):
                return (
                    f"{where}, contact_details, {shown_key(key)}: found {found_value(text)} "
                    "where text belongs (text, a number or null): it could not be published "
                    "as written"
                )
            if too_long(text) or too_long(key):
                long_key = f"the name of {shown_key(str(key)[:60])}" if too_long(key) else ""
                return (
                    f"{where}, contact_details, {long_key or shown_key(key)}: "
                    f"{too_long(key) or too_long(text)}"
                )
    if what == "neighbourhood details":
        return _list_problem(value.get("links"), f"{where}, links", "link")
    return ""


def _list_problem(value: Any, where: str, what: str) -> str:
    """Why a list of items (``what`` each) cannot be read, naming the item by its number
    (from 1, as a person is counted on the page); "" when it can. null is no items, as the
    API writes a part it has none of."""
    if value is None:
        return ""
    if not isinstance(value, list):
        return (
            f"{where}: found {found_value(value)} where a list belongs (a list of objects, "
            f"[{_WRITTEN[what]}, ...]): nothing of it could be published"
        )
    for number, item in enumerate(value, start=1):
        problem = _part_problem(item, f"{where}, item {number:,}", what)
        if problem:
            return problem
    return ""


def too_long(value: Any) -> str:
    """Why a text value longer than MAX_TEXT is refused (its length and the limit), or ""
    when it is not one. Why refused, not cut: it was cut to MAX_TEXT in silence, so the page
    showed a text the team never wrote (a priority's action ending mid-word)."""
    if not is_text_value(value) or value is None:
        return ""
    length = len(str(value))
    if length <= MAX_TEXT:
        return ""
    return (
        f"the text is {length:,} characters long, more than the {MAX_TEXT:,} one team text may "
        "hold (markup included): it would not be published whole; shorten it"
    )


def _published_too_long(what: str, key: str, value: Any) -> bool:
    """Whether ``value``, the field ``key`` of a ``what`` (a part's name as in _TEXT_FIELDS),
    is refused as too long: one whose text is published and longer than MAX_TEXT. A field
    no page shows (_UNSHOWN_TEXT) is warned of and left out instead, whatever its length;
    a date (_DATE_SPELLINGS), whose text is not published but read as a date, is refused
    as no date (date_problem): "would not be published whole" was untrue of both."""
    if key in _UNSHOWN_TEXT.get(what, ()) or key in _DATE_SPELLINGS:
        return False
    return bool(too_long(value))


def _numbered(value: Any) -> Iterator[tuple[int, dict]]:
    """(number from 1, item) of the objects of a list (anything else: shape_problem)."""
    if isinstance(value, list):
        for number, item in enumerate(value, start=1):
            if isinstance(item, dict):
                yield number, item


def _keyed_parts(bundle: dict[str, Any]) -> Iterator[tuple[str, str, dict]]:
    """(where, what, part) of every object of ``bundle`` whose keys are TEAM_KEYS', its place
    named as shape_problem names it (items counted from 1)."""
    yield "", "neighbourhood", bundle
    hood = bundle.get("neighbourhood")
    if isinstance(hood, dict):
        yield "neighbourhood", "neighbourhood details", hood
        for number, link in _numbered(hood.get("links")):
            yield f"neighbourhood, links, item {number:,}", "link", link
    for key, what in _ITEM_LISTS:
        for number, item in _numbered(bundle.get(key)):
            yield f"{key}, item {number:,}", what, item


def key_problem(bundle: Any) -> str:
    """Why one neighbourhood's team information (JSON) holds a key the summaries do not
    know, naming the place, the key, the nearest known key when one is close and the known
    ones; "" when every key is known. Why: an unknown key was passed over in silence, so a
    typo (``priorites``, ``Contact``, ``Name``) dropped the team's text from the page and
    nobody was told. Parts of another shape are left to shape_problem."""
    if not isinstance(bundle, dict):
        return ""
    for where, what, part in _keyed_parts(bundle):
        known = TEAM_KEYS[what]
        for key in part:
            if key in known:
                continue
            text = str(key)
            near = difflib.get_close_matches(text.lower(), known, n=1)
            guess = f" (did you mean {near[0]!r}?)" if near else ""
            return (
                (f"{where}: " if where else "")
                + f"the key {ascii(text[:60])} is not one the summaries read{guess}: what "
                f"it holds would not be published; the keys of {_CALLED[what]} are "
                f"{', '.join(known)}"
            )
        problem = _contact_key_problem(part.get("contact_details"), where)
        if problem:
            return problem
    return ""


def _contact_key_problem(details: Any, where: str) -> str:
    """Why a contact detail whose key is a typo of a known one (near_contact_key) is
    refused, naming the place, the key and the known key; "" when there is none. A detail
    that is not text is left to shape_problem, which names what was found."""
    if not isinstance(details, dict):
        return ""
    for key, value in details.items():
        near = near_contact_key(key) if is_text_value(value) else ""
        if near:
            return (
                f"{where}, contact_details: the key {ascii(str(key)[:60])} is close to the "
                f"contact detail {near!r} but is not it (did you mean {near!r}?): it would be "
                f"published under its own label, not as the team's {near}; write it {near!r}, "
                "or give a label of your own that is not a typo of one of "
                f"{', '.join(CONTACT_KEYS)}"
            )
    return ""


def shape_problem(bundle: Any) -> str:
    """Why one neighbourhood's team information (a police.uk-API-shaped bundle) is not of
    the shape the summaries read, naming the place (its key path, items counted from 1)
    and what was found there; "" when it is. Why: an entry that was not an object (a
    person written as text, a priority as null, the people as one object rather than a
    list) and a field that was not text (a rank given as a list) were left out of the page
    without a word, so the public never saw what the team gave. Refused instead, as the
    readers refuse any other damage in a team file."""
    if not isinstance(bundle, dict):
        return _not_an_object("", bundle, "neighbourhood")
    hood = bundle.get("neighbourhood")
    if hood is not None:
        problem = _part_problem(hood, "neighbourhood", "neighbourhood details")
        if problem:
            return problem
    for key, what in _ITEM_LISTS:
        problem = _list_problem(bundle.get(key), key, what)
        if problem:
            return problem
    return ""


def read_team_json(path: PathLike) -> dict[str, Team]:
    """Code -> Team from a JSON file (see the module notes for the two shapes)."""
    path = Path(path)
    data = read_json_file(
        path, lambda why: TeamError(f"cannot read team information {why}"), numbers_as_text=True
    )
    nul = _nul_at(data)
    if nul is not None:
        raise TeamError(
            f"the team information {shown_line(path.name)} holds a NUL character (\\u0000) "
            f"at {nul}: no code, name or text holds one (is it the right file?)"
        )
    out: dict[str, Team] = {}
    if isinstance(data, dict):
        pairs = []
        for key, bundle in data.items():
            code = plain(key)
            if not code and _holds_something(bundle):
                raise TeamError(
                    f"{shown_line(path.name)}: the neighbourhood code {_shown(key)} is blank: "
                    "give the code its team information is for"
                )
            if code:
                pairs.append((code, bundle))
    elif isinstance(data, list):
        pairs = [
            pair
            for number, bundle in enumerate(data, start=1)
            for pair in _listed_team(path, number, bundle)
        ]
    else:
        raise TeamError(
            f"{shown_line(path.name)}: expected an object keyed by neighbourhood code or a list"
        )
    for code, bundle in pairs:
        if code in out:  # (a list naming an id twice; " E02" beside "E02" as keys)
            raise TeamError(
                f"{shown_line(path.name)}: neighbourhood {_code_named(code)} is given twice (the "
                "last would replace the first): give each neighbourhood once"
            )
        out[code] = _team_of(path, code, bundle)
    return out


def _nul_at(data: Any) -> Optional[str]:
    """Where the first text of a team JSON holding a NUL character (written ``\\u0000``:
    a raw one is no JSON) is, as the keys and item numbers down to it ("E02002834 > people
    > 1 > name"), or None. A key holding one counts too. Read with a stack of its own, as
    :func:`_holds_something` reads, for files nested as deep as the JSON reader takes.
    Why: :func:`plain` took the NUL out, so "Cen\\u0000tral" was published as "Central"
    and a code "E02\\u0000001" as E02001, and nobody was told."""
    pending: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while pending:
        part, where = pending.pop()
        if isinstance(part, str):
            if "\x00" in part:
                shown = [_code_named(step) for step in where[:6]]
                return " > ".join(shown + (["..."] if len(where) > 6 else [])) or "its top"
            continue
        if isinstance(part, dict):
            items = [(key, (*where, key)) for key in part] + [
                (value, (*where, key)) for key, value in part.items()
            ]
        elif isinstance(part, list):
            items = [(value, (*where, str(i))) for i, value in enumerate(part, start=1)]
        else:
            continue
        pending.extend(reversed(items))  # (an object's keys, then its values, in order)
    return None


def _listed_team(path: Path, number: int, bundle: Any) -> list[tuple[str, Any]]:
    """[(code, bundle)] of item ``number`` of a team JSON list (its code is its
    neighbourhood.id), [] for an item with nothing in it, or TeamError naming the item.
    Why: an item that was not an object, or had no code, was skipped in silence, and with
    it a neighbourhood's whole team."""
    where = f"{shown_line(path.name)}: item {number:,} of the list"
    problem = shape_problem(bundle)
    if problem:
        raise TeamError(f"{where}, {problem}")
    hood = bundle.get("neighbourhood")
    code = plain(hood.get("id")) if isinstance(hood, dict) else ""
    if code:
        return [(code, bundle)]  # (its keys: _team_of, naming the code)
    problem = key_problem(bundle)  # (a misspelt "neighbourhood" holds the code)
    if problem:
        raise TeamError(f"{where}, {problem}")
    if _holds_something(bundle):
        raise TeamError(
            f"{where} has no neighbourhood code (neighbourhood, id): give the code its team "
            "information is for"
        )
    return []


def _id_problem(code: str, bundle: Any) -> str:
    """Why a bundle keyed by ``code`` whose neighbourhood id is another code is refused,
    naming both; "" when the id is the code (as the reader reads both: plain) or not given.
    Why: the key won and the id was ignored in silence, so ``{"E1": {"neighbourhood":
    {"id": "E2"}}}`` published the team written for one of them under E1, and nobody could
    tell which the analyst meant."""
    hood = bundle.get("neighbourhood") if isinstance(bundle, dict) else None
    given = hood.get("id") if isinstance(hood, dict) else None
    if not is_text_value(given) or not plain(given) or plain(given) == code:
        return ""
    text = str(given)
    shown = repr(text[:60]) + ("..." if len(text) > 60 else "")
    return (
        f"neighbourhood, id: the id {shown} is not the code {_shown(code)} the team "
        f"information is keyed by (it would be published for {_code_named(code)}, its id "
        "ignored): give the key and "
        "the id the same neighbourhood code, or leave the id out"
    )


def _team_of(path: Path, code: str, bundle: Any) -> Team:
    """team_from_api, after key_problem (a JSON file's keys), its refusals naming the file
    and the neighbourhood."""
    try:
        problem = key_problem(bundle) or _id_problem(code, bundle)
        if problem:
            raise TeamError(problem)
        team = team_from_api(bundle)
    except TeamError as exc:
        raise TeamError(
            f"{shown_line(path.name)}: neighbourhood {_code_named(code)}, {exc}"
        ) from exc
    team.warnings = [
        f"{shown_line(path.name)}: neighbourhood {_code_named(code)}, {text}"
        for text in team.warnings
    ]
    return team


_CSV_KINDS = {"neighbourhood", "person", "priority", "event", "link"}
#: The team CSV's columns: code and kind, then the API's field names the kinds read (a
#: neighbourhood: name, description and its contacts; a link: url, title, and a description
#: no page shows (_description_unshown); a person: name, rank, bio; a priority: issue,
#: action and their dates; an event: title, type, description, address and its dates). A
#: date is read spelt with '-' or '_' alike.
TEAM_CSV_COLUMNS = (
    "code",
    "kind",
    "name",
    "description",
    "telephone",
    "email",
    "twitter",
    "facebook",
    "web",
    "url",
    "title",
    "rank",
    "bio",
    "issue",
    "issue-date",
    "action",
    "action-date",
    "type",
    "address",
    "start_date",
    "end_date",
)
#: The contact columns of a neighbourhood row (its contact_details, each under its own name).
_CSV_CONTACTS = tuple(key for key in CONTACT_KEYS if key in TEAM_CSV_COLUMNS)
#: The columns each kind of row reads, beside code and kind: its text fields as the JSON
#: reader knows them (_TEXT_FIELDS: TEAM_KEYS' one vocabulary; a neighbourhood's id is the
#: code) and a neighbourhood's contacts. A value in any other column is refused
#: (_unread_value).
CSV_KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "neighbourhood": (
        *(key for key in _TEXT_FIELDS["neighbourhood"] if key != "id"),
        *_CSV_CONTACTS,
    ),
    "link": _TEXT_FIELDS["link"],  # (its description is read to warn it is not shown)
    "person": _TEXT_FIELDS["person"],
    "priority": _TEXT_FIELDS["priority"],
    "event": _TEXT_FIELDS["event"],
}
_DATE_SPELLINGS = {
    other
    for name in _PRIORITY_DATES + _EVENT_DATES
    for other in (name.replace("_", "-"), name.replace("-", "_"))
}
_KNOWN_COLUMNS = frozenset(TEAM_CSV_COLUMNS) | _DATE_SPELLINGS
_NO_NAME = "\x00column "  # (the key of a header cell left blank: no field's name)


def _column_key(name: str) -> str:
    """A header cell as the reader matches it: in lower case, without the spaces around it,
    and those inside it read as '_' ("Start date" is start_date). Why: the reader looked
    columns up by their exact spelling, so a team file with ``Name`` (as a spreadsheet
    writes it) or ``name `` published every team without its name, and nobody was told."""
    return "_".join(name.split()).lower()


def _csv_header(path: Path, names: list[str]) -> list[str]:
    """The keys the rows are read under (_column_key of each header cell; a blank cell keyed
    by its position), or TeamError naming the columns given twice or that no field is read
    from, and listing the known ones. Why: an unknown column (``nmae``, ``phone``) was
    ignored in silence, and so its values."""
    keys = [_column_key(name) or f"{_NO_NAME}{i + 1}" for i, name in enumerate(names)]
    seen: dict[str, str] = {}
    for name, key in zip(names, keys):
        same = key.replace("-", "_")  # (a date's two spellings are one field)
        if same in seen:
            twice = (
                _shown(name) if seen[same] == name else f"{_shown(seen[same])} and {_shown(name)}"
            )
            raise TeamError(
                f"{shown_line(path.name)}: the column {twice} is in the header twice (only one of "
                "them would be read; capitals, spaces and a date's '-' or '_' do not tell columns "
                "apart): give each column once"
            )
        seen[same] = name
    unknown = [n for n, k in zip(names, keys) if k not in _KNOWN_COLUMNS and n.strip()]
    if unknown:
        listed = ", ".join(_shown(n) for n in unknown[:_LISTED])
        listed += f" and {len(unknown) - _LISTED:,} more" if len(unknown) > _LISTED else ""
        which = f"columns {listed} (their" if len(unknown) > 1 else f"column {listed} (its"
        raise TeamError(
            f"{shown_line(path.name)}: no team field is read from the {which} values would be "
            f"lost); the columns are {', '.join(TEAM_CSV_COLUMNS)} (in any capitals; a date's '-' "
            "or '_' alike)"
        )
    return keys


def _unnamed_value(path: Path, line: int, row: dict[str, Any]) -> str:
    """Why a row with a value under a header cell left blank is refused (no field is read
    from it: the value would be lost), or "" when it has none. A spreadsheet's trailing
    commas, blank under a blank header, are read as before."""
    for key, value in row.items():
        if key.startswith(_NO_NAME) and (value or "").strip():
            return (
                f"{shown_line(path.name)}: line {line:,} has the value {value!r} in column "
                f"{key[len(_NO_NAME) :]}, whose header cell is blank (no field would be read "
                "from it): name the column or leave the cell empty"
            )
    return ""


#: The most values one message lists, and the characters it shows of each (a team file's
#: header or cell may be megabytes long: a message is read, not a copy of the file).
_LISTED, _SHOWN = 10, 60


def _shown(text: Any) -> str:
    """A value as a message quotes it: escaped, and cut to _SHOWN characters ("...")."""
    text = str(text)
    return repr(text[:_SHOWN]) + ("..." if len(text) > _SHOWN else "")


def _code_named(code: str) -> str:
    """A neighbourhood code as a message names it: as it is, or quoted and cut (_shown)
    when it is longer than a code is (the fuzzer's megabyte code was a megabyte message)."""
    return code if len(code) <= _SHOWN and code.isprintable() else _shown(code)


def _a(word: str) -> str:
    """The article a message puts before ``word`` (a kind of row): "an event", "a link"."""
    return "an" if word[:1] in "aeiou" else "a"


def _unread_value(path: Path, line: int, code: str, kind: str, row: dict[str, Any]) -> str:
    """Why a row with a value in a column its kind does not read is refused (naming the
    line, the column, the kind and the columns it reads), or "" when it has none. Why: the
    value was dropped in silence, so ``N1,person,Jo,Sergeant`` under ``title`` published Jo
    with no title (a person has a rank, not a title), and nobody was told."""
    reads = CSV_KIND_COLUMNS[kind]
    for key, value in row.items():
        if key in ("code", "kind") or key in reads or key.startswith(_NO_NAME):
            continue
        if (value or "").strip():
            text = str(value)
            shown = repr(text[:60]) + ("..." if len(text) > 60 else "")
            return (
                f"{shown_line(path.name)}: line {line:,} (neighbourhood {_code_named(code)}), "
                f"column {key}: "
                f"{_a(kind)} {kind} row does not read this column, so its value {shown} would "
                f"not be published; {_a(kind)} {kind} row reads {', '.join(reads)}: move the "
                "value to the column it belongs in, or leave the cell empty"
            )
    return ""


def read_team_csv(path: PathLike) -> dict[str, Team]:
    """Code -> Team from a CSV with columns code, kind and the API's field names
    (TEAM_CSV_COLUMNS, in any capitals: _column_key). Quoting is read strictly: a quote
    never closed took every row after it into one cell (a team's people silently lost), and
    text after a closing quote was joined to the cell."""
    path = Path(path)
    reader: Any = None
    try:
        check_file(path)  # (a NUL in the path: ValueError out of open; a FIFO: no end)
        nul = first_nul_line(path)
        if nul is not None:
            raise TeamError(_nul_in_file(path, nul))
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, strict=True)
            header = _csv_header(path, list(reader.fieldnames or []))
            reader.fieldnames = header
            rows, lines = [], []
            for row in reader:
                if None in row or None in row.values():  # (more or fewer cells: see below)
                    raise TeamError(_ragged_row(path, reader.line_num, None in row))
                unnamed = _unnamed_value(path, reader.line_num, row)
                if unnamed:
                    raise TeamError(unnamed)
                rows.append(row)
                lines.append(reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        if isinstance(exc, csv.Error) and reader is not None and "field limit" in str(exc):
            raise TeamError(_cell_past_limit(path, reader.line_num + 1)) from exc
        if isinstance(exc, csv.Error) and reader is not None:
            raise TeamError(
                f"cannot read team information {shown_line(path.name)}: the record from line "
                f"{reader.line_num + 1:,} on: {exc} (a quote opened in a cell must be closed, "
                "and a quoted cell ends at its quote)"
            ) from exc
        raise TeamError(f"cannot read team information {shown_line(path.name)}: {exc}") from exc
    if header and not {"code", "kind"} <= set(header):
        raise TeamError(
            f"{shown_line(path.name)}: needs the columns code and kind (and the item fields)"
        )
    bundles: dict[str, dict[str, Any]] = {}
    described: dict[str, int] = {}  # code -> the line of its neighbourhood row
    warnings: dict[str, list[str]] = {}  # code -> its links left out, naming their lines
    for row, line in zip(rows, lines):
        code = plain(row.get("code"))
        kind = plain(row.get("kind")).lower()
        if not any((value or "").strip() for value in row.values()):
            continue  # (a blank row, a spreadsheet's ",,,": nothing in it to lose)
        if not code or kind not in _CSV_KINDS:
            raise TeamError(_unread_row(path, line, code, row.get("kind")))
        unread = _unread_value(path, line, code, kind, row)
        if unread:  # (before the lengths: a value in such a column is published not at all)
            raise TeamError(unread)
        for key, value in row.items():
            if _published_too_long(kind, key, value):
                raise TeamError(
                    f"{shown_line(path.name)}: line {line:,} (neighbourhood {_code_named(code)}), "
                    f"column {key}: {too_long(value)}"
                )
        if kind == "neighbourhood":
            if code in described:
                raise TeamError(
                    f"{shown_line(path.name)}: line {line:,}: neighbourhood {_code_named(code)} is "
                    f"described twice (lines {described[code]:,} and {line:,}; the last would "
                    "replace the first): give one neighbourhood row per code"
                )
            described[code] = line
        if kind in ("event", "priority"):
            keys = _EVENT_DATES if kind == "event" else _PRIORITY_DATES
            problem = _dates_refused(row, kind, keys)
            if problem:
                raise TeamError(
                    f"{shown_line(path.name)}: line {line:,} (neighbourhood {_code_named(code)}), "
                    f"{problem}"
                )
        if kind in _HEADINGS:
            problem = heading_problem(row, kind)
            if problem:
                raise TeamError(
                    f"{shown_line(path.name)}: line {line:,} (neighbourhood {_code_named(code)}), "
                    f"{problem}"
                )
        if kind == "link":
            left_out = _description_unshown(row)
            if not _safe_link(row.get("url")):
                left_out = _link_left_out({"url": row.get("url"), "title": row.get("title")})
            if left_out:
                warnings.setdefault(code, []).append(
                    f"{shown_line(path.name)}: line {line:,} (neighbourhood {_code_named(code)}), "
                    f"{left_out}"
                )
        bundle = bundles.setdefault(
            code, {"neighbourhood": {"links": []}, "people": [], "priorities": [], "events": []}
        )
        if kind == "neighbourhood":
            contact = {k: row.get(k) for k in _CSV_CONTACTS}
            bundle["neighbourhood"].update(
                name=row.get("name"), description=row.get("description"), contact_details=contact
            )
        elif kind == "link":
            bundle["neighbourhood"]["links"].append(
                {"url": row.get("url"), "title": row.get("title")}
            )
        elif kind == "person":
            bundle["people"].append(row)
        elif kind == "priority":
            bundle["priorities"].append(row)
        else:
            bundle["events"].append(row)
    teams = {code: team_from_api(bundle) for code, bundle in bundles.items()}
    for code, team in teams.items():
        team.warnings = warnings.get(code, [])  # (as team_from_api's, with their lines)
    return teams


def _nul_in_file(path: Path, line: int) -> str:
    """Why a team CSV holding a NUL character is refused, naming its line, in the words
    the other small CSVs are refused in (core.common.csv_records.read_text_csv). Why: the
    csv module kept the NUL in the cell and :func:`plain` took it out, so "E02\\x00001"
    was published as the code "E02001" and "Central\\x00 team" as "Central team": a value
    the file does not hold, and nobody was told."""
    return (
        f"the team information {shown_line(path.name)} holds a NUL character on line "
        f"{line:,}: no code, name or text holds one (is it the right file, saved as text?)"
    )


def _cell_past_limit(path: Path, line: int) -> str:
    """Why a record with a cell longer than Python's csv reader takes is refused (its limit
    is the process's: 131,072 characters unless a loader raised it). Why: the message was
    the csv module's "field larger than field limit (131072)" with a hint about quotes
    alone, though a cell that long is either a quote never closed (the rows after it taken
    into one cell) or a text far longer than one team text may hold (MAX_TEXT)."""
    return (
        f"cannot read team information {shown_line(path.name)}: the record from line {line:,} on "
        f"has a cell longer than {csv.field_size_limit():,} characters: a quote opened in a cell "
        "and never closed takes the rows after it into one cell (close it, or double a quote "
        f"inside a quoted cell), and a team text is at most {MAX_TEXT:,} characters"
    )


def _unread_row(path: Path, line: int, code: str, kind: Any) -> str:
    """Why a row with no neighbourhood code, or a kind the reader does not know, is refused.
    Why: it was skipped in silence, so a person typed as ``officer`` or an event whose code
    was left blank was never published, and nobody was told."""
    if not code:
        return (
            f"{shown_line(path.name)}: line {line:,} has no neighbourhood code: give the code "
            "it is for"
        )
    return (
        f"{shown_line(path.name)}: line {line:,} (neighbourhood {_code_named(code)}) has the kind "
        f"{_shown(str(kind or ''))}: the kinds are {', '.join(sorted(_CSV_KINDS))}"
    )


def _ragged_row(path: Path, line: int, more: bool) -> str:
    """Why a row with another number of cells than the header is refused: csv.DictReader
    drops the extra cells and leaves the missing ones empty, so a row cut short, or one
    whose text held an unquoted comma, would publish a person or a priority with its
    fields shifted or missing, and nobody would be told."""
    return (
        f"{shown_line(path.name)}: line {line:,} has {'more' if more else 'fewer'} fields than "
        "the header: the file looks damaged there (a cell holding a comma must be in double quotes)"
    )


def read_team(path: Optional[PathLike]) -> dict[str, Team]:
    """Code -> Team from the team file at ``path`` ({} for no path: the summaries are made
    without a team), or TeamError naming the file when it cannot be used, or holds no
    neighbourhood's team: none named, or every one named empty (:func:`empty_team_file`).
    A file holding some teams may name a neighbourhood with an empty entry: that one
    shows no team information, as a neighbourhood the file leaves out does."""
    if not path:
        return {}
    is_csv = Path(path).suffix.lower() == ".csv"
    teams = read_team_csv(path) if is_csv else read_team_json(path)
    if not any(map(shows_something, teams.values())):
        raise TeamError(empty_team_file(Path(path), is_csv, len(teams)))
    return teams


def shows_something(team: Team) -> bool:
    """Whether a page would show anything of ``team``: a name, a description, a contact, a
    link, a person, a priority or an event (each read as the page shows it, so a
    description of markup alone, or a link left out for want of a safe address, is
    nothing)."""
    return any(
        (
            team.name,
            str(team.description).strip(),
            team.contacts,
            team.links,
            team.people,
            team.priorities,
            team.events,
        )
    )


def empty_team_file(path: Path, is_csv: bool, named: int = 0) -> str:
    """Why a team file with no team in it is refused: no neighbourhood in it, or ``named``
    neighbourhoods whose entries are all empty (``{"E02000001": {}}``, only empty texts
    and lists, CSV rows with a code and a kind and nothing else). Why: an empty file (0
    bytes, a CSV with its header alone or only blank rows, JSON ``{}`` or ``[]``) was read
    as no team at all, and the summaries were published without any, with no word: a team
    export that failed, or the wrong file picked; a file of empty entries was published
    the same way. A team file is optional (no file: no team), so one given is meant to
    hold the teams."""
    if named:
        entries = "entry" if named == 1 else f"{named:,} entries"
        what = (
            f"names {named:,} neighbourhood{'s' if named > 1 else ''} but its {entries} "
            f"{'is' if named == 1 else 'are all'} empty: nothing a page would show (a name, a "
            "description, a contact, a link with a safe address, a person, a priority or an "
            "event)"
        )
    elif is_csv:
        what = "holds no team row (only a header or blank lines)"
        what = what if path.stat().st_size else "is empty (0 bytes)"
    else:
        what = "names no neighbourhood"
    return (
        f"{shown_line(path.name)}: the team information {what}, so no neighbourhood would "
        "show its team: give the file holding the teams, or no team file to make the "
        "summaries without one"
    )


def _written_texts(team: Team) -> list[str]:
    """A team's texts as written: names, descriptions, priorities, events, links, and its
    contact details' texts and addresses."""
    texts: list[str] = [team.name, str(team.description)]
    groups = [team.contacts]
    texts += [t for link in team.links for t in link]
    for person in team.people:
        texts += [person["name"], person["rank"], str(person["bio"])]
        groups.append(person.get("contacts", []))
    for item in team.priorities:
        texts += [str(item["issue"]), str(item["action"])]
    for event in team.events:
        texts += [event["title"], event["type"], event["address"], str(event["description"])]
        groups.append(event.get("contacts", []))
    for contacts in groups:
        for _, text, href in contacts:
            texts += [text, href]
    return texts


def published_team_texts(teams: dict[str, Team]) -> list[str]:
    """The exact texts the team information publishes on purpose that the leak gate would
    otherwise refuse: each event's date as rendered, and every phone number and e-mail
    address the team data holds (its contact details, and any typed into a description,
    bio, priority or event). Given to the gate as ``team_texts``, they are exempt from its
    date/time and contact checks only; everything else on the page is checked as ever."""
    out: set[str] = set()
    for team in teams.values():
        out.update(event["when"] for event in team.events if event.get("when"))
        for text in _written_texts(team):
            if not text:
                continue
            # as the page shows it: markup's text and its links, entities decoded
            for form in {text, html.unescape(text)}:
                out.update(found for _kind, found in find_contacts(form, limit=_MAX_CONTACTS))
    return sorted(out)


def bundled_offence_names() -> list[str]:
    """The offence names of the bundled offence table (resources/offence_mapping.csv: the
    Home Office's published offence classification, and common names for it), codes left
    out."""
    from ..common.vocabulary import is_offence_code
    from ..load.mapping_profile import DEFAULT_OFFENCE_TABLE

    with open(DEFAULT_OFFENCE_TABLE, newline="", encoding="utf-8") as handle:
        names = [str(row.get("offence") or "").strip() for row in csv.DictReader(handle)]
    return [n for n in names if n and not is_offence_code(n)]


def team_vocabulary(teams: dict[str, Team]) -> list[str]:
    """The bundled offence names (:func:`bundled_offence_names`) the teams' texts use, in
    any case, for the summaries' leak gate to take as public values, as it takes the
    neighbourhoods' names.

    Why: a force's extract holds these names in its offence column, which is not public
    (a crime's exact offence is finer than its category), so the gate refused a page whose
    team priority named an offence as the Home Office does ("Public order offences",
    "Theft from a motor vehicle") as a raw value inside text: a team could not say what it
    is tackling in those words. Only names of the published classification are taken, and
    only those a team writes (each is then public on every page of the folder, as a
    neighbourhood's name is): a force's own offence descriptions, and every other raw
    value, stay refused wherever they appear. Whole words only: "grapes" names no
    "Rape"."""
    written = "\n".join(
        html.unescape(text).casefold()
        for team in teams.values()
        for text in _written_texts(team)
        if text
    )
    if not written:
        return []
    return sorted(
        {
            name
            for name in bundled_offence_names()
            if re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", written)
        }
    )
