"""Neighbourhood team information for the summaries: who the team are, their priorities and
what they did, their events (how to get involved).

Read from JSON shaped like the police.uk neighbourhood API, either one object per
neighbourhood code ``{"E02...": {"neighbourhood": {...}, "people": [...], "priorities":
[...], "events": [...]}}`` or a list of such objects whose ``neighbourhood.id`` is the code;
or from a CSV with one row per item: ``code,kind,...`` where kind is neighbourhood, person,
priority, event or link and the other columns are the API's field names.

The API's numbers come as strings, many fields are null, and descriptions hold HTML. Every
text is reduced to a few harmless tags (p, br, strong, em, b, i, ul, ol, li, and a with an
http(s)/mailto/tel link); everything else is dropped and every text node escaped, so a hostile
``<script>``, ``onerror=`` or ``javascript:`` link cannot reach a page. Dates are shown to
the month (the leak gate refuses day-precise dates in public outputs). Imports nothing from
QGIS.
"""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Optional, Union

from markupsafe import Markup

PathLike = Union[str, Path]
ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a"})
_VOID = frozenset({"br"})
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "svg"})
_SAFE_URL = re.compile(r"^(https?://|mailto:|tel:)[^\s\"'<>`]*$", re.I)
MAX_TEXT = 5_000  # characters of one text kept (a page is not a dumping ground)
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


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
        if not self.skip:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitise_html(text: Any) -> Markup:
    """Safe HTML from untrusted HTML-ish text (see the module notes)."""
    if text is None:
        return Markup("")
    text = str(text)[:MAX_TEXT].replace("\x00", "")
    parser = _Sanitiser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - anything odd: show it as plain text
        return Markup(html.escape(text))
    return Markup(parser.result())


def plain(value: Any) -> str:
    """A short field as text: None/null -> "", numbers as written, HTML tags removed."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return ""
    text = str(value).replace("\x00", "")[:MAX_TEXT]
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


_CONTACT_HREF = {
    "telephone": "tel:",
    "mobile": "tel:",
    "email": "mailto:",
}


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


def _safe_link(url: Any) -> str:
    text = plain(url)
    return text if _SAFE_URL.match(text) else ""


def team_from_api(bundle: Any) -> Team:
    """A Team from one police.uk-API-shaped bundle (missing parts are simply absent)."""
    if not isinstance(bundle, dict):
        return Team()
    hood = bundle.get("neighbourhood") if isinstance(bundle.get("neighbourhood"), dict) else {}
    team = Team(
        name=plain(hood.get("name")),
        description=sanitise_html(hood.get("description")),
        contacts=_contacts(hood.get("contact_details")),
    )
    for link in hood.get("links") or []:
        if isinstance(link, dict) and _safe_link(link.get("url")):
            team.links.append(
                (plain(link.get("title")) or plain(link.get("url")), plain(link["url"]))
            )
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
                    "month": month_of(item.get("start_date") or item.get("start-date")),
                    "contacts": _contacts(item.get("contact_details")),
                }
            )
    return team


def _items(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def read_team_json(path: PathLike) -> dict[str, Team]:
    """Code -> Team from a JSON file (see the module notes for the two shapes)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise TeamError(f"cannot read team information {path.name}: {exc}") from exc
    out: dict[str, Team] = {}
    if isinstance(data, dict):
        for code, bundle in data.items():
            out[plain(code)] = team_from_api(bundle)
    elif isinstance(data, list):
        for bundle in data:
            hood = bundle.get("neighbourhood") if isinstance(bundle, dict) else None
            code = plain(hood.get("id")) if isinstance(hood, dict) else ""
            if code:
                out[code] = team_from_api(bundle)
    else:
        raise TeamError(f"{path.name}: expected an object keyed by neighbourhood code or a list")
    return out


_CSV_KINDS = {"neighbourhood", "person", "priority", "event", "link"}


def read_team_csv(path: PathLike) -> dict[str, Team]:
    """Code -> Team from a CSV with columns code, kind and the API's field names."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TeamError(f"cannot read team information {path.name}: {exc}") from exc
    if rows and not {"code", "kind"} <= set(rows[0]):
        raise TeamError(f"{path.name}: needs the columns code and kind (and the item fields)")
    bundles: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = plain(row.get("code"))
        kind = plain(row.get("kind")).lower()
        if not code or kind not in _CSV_KINDS:
            continue
        bundle = bundles.setdefault(
            code, {"neighbourhood": {"links": []}, "people": [], "priorities": [], "events": []}
        )
        if kind == "neighbourhood":
            contact = {k: row.get(k) for k in ("telephone", "email", "twitter", "facebook", "web")}
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
    return {code: team_from_api(bundle) for code, bundle in bundles.items()}


def read_team(path: Optional[PathLike]) -> dict[str, Team]:
    if not path:
        return {}
    return read_team_csv(path) if Path(path).suffix.lower() == ".csv" else read_team_json(path)


def published_contacts(teams: dict[str, Team]) -> list[str]:
    """Every contact text the team information publishes on purpose (telephone, e-mail...):
    the leak gate refuses phone numbers and e-mail addresses it is not told are public, so the
    summaries tell it these, and only these (an address typed into a description still fails
    the gate)."""
    out: set[str] = set()
    for team in teams.values():
        groups = [team.contacts]
        groups += [p.get("contacts", []) for p in team.people]
        groups += [e.get("contacts", []) for e in team.events]
        for contacts in groups:
            for _, text, href in contacts:
                out.add(text)
                if href.startswith(("mailto:", "tel:")):
                    out.add(href.split(":", 1)[1])
    return sorted(out)
