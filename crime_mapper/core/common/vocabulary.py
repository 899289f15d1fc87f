"""The one source of truth for police.uk crime categories and outcome vocabulary.

Everything that names a category or an outcome (readers, validators, renderers, the web map,
summaries) looks it up here, so that a spelling variant found in a real file is handled in
exactly one place. Imports nothing from QGIS.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from typing import Optional

# --- months ---------------------------------------------------------------------------------
#: A month as police.uk writes one, YYYY-MM (month 01 to 12), in ASCII digits: the one test
#: of a month's text every reader and check uses (``MONTH_RE.fullmatch``; here, not in
#: schema, which imports pandas: the plugin's start-up reads it). Why ``[0-9]``,
#: not ``\d``: Python's ``\d`` matches the digits of every script, so a row whose Month was
#: "٢٠٢٢-10" (Arabic-Indic) or "２０２２-10" (fullwidth) was accepted as a month of its own,
#: beside "2022-10", and would have been published as one.
MONTH_RE = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")
#: The YYYY-MM that starts a police.uk file name ("2022-10-leicestershire-street.csv"),
#: any two digits (the name's month is checked against the rows' later).
FILE_MONTH = r"[0-9]{4}-[0-9]{2}"

# --- text -----------------------------------------------------------------------------------
#: A control character that is not a tab or a line break (C0, DEL, C1): no public page or
#: name holds one, and the leak gate refuses a page with a NUL as unreadable, naming the
#: page rather than the page title, force name or neighbourhood name it came from.
UNPRINTABLE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# --- places the public read ---------------------------------------------------------------
#: Where the public pages and their CSVs put crimes published without a location: the
#: summaries' row (page, index and CSV) and the web map's area (its table and status line).
#: Why these words: the pages said "No location", "Location not published" and "published
#: without a location" for the same crimes; "No location" reads as if the crime happened
#: nowhere, while every one of them has a place that is held back (too far from any map
#: point, or none in the source), which is what "not published" says.
NO_LOCATION_PLACE = "Location not published"
#: A map point police.uk publishes with no street name ("On or near " alone), on the web
#: map's popups, search and lists and on the summaries' pages. Why these words, not
#: "On or near (no street name)": a screen reader reads brackets as nothing, which made it
#: "On or near no street name", a street no reader can find.
NO_STREET_PLACE = "A place with no street name"


@dataclass(frozen=True)
class Category:
    """A police.uk street-level crime category."""

    name: str  # as published in the "Crime type" column
    slug: str  # the police.uk API slug
    group: str  # a coarse family, used for marker shapes so colour is never the only cue


# Order is the police.uk order; it fixes the categorical codes and the legend order.
CATEGORIES: tuple[Category, ...] = (
    Category("Anti-social behaviour", "anti-social-behaviour", "disorder"),
    Category("Bicycle theft", "bicycle-theft", "theft"),
    Category("Burglary", "burglary", "property"),
    Category("Criminal damage and arson", "criminal-damage-arson", "property"),
    Category("Drugs", "drugs", "other"),
    Category("Other theft", "other-theft", "theft"),
    Category("Possession of weapons", "possession-of-weapons", "violence"),
    Category("Public order", "public-order", "disorder"),
    Category("Robbery", "robbery", "violence"),
    Category("Shoplifting", "shoplifting", "theft"),
    Category("Theft from the person", "theft-from-the-person", "theft"),
    Category("Vehicle crime", "vehicle-crime", "property"),
    Category("Violence and sexual offences", "violent-crime", "violence"),
    Category("Other crime", "other-crime", "other"),
)

CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
CATEGORY_BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}
CATEGORY_BY_SLUG: dict[str, Category] = {c.slug: c for c in CATEGORIES}

# Names police.uk used in older months. They are not one-to-one with today's categories,
# so they are kept as published (an analyst comparing years must see the break in series)
# and are valid "Crime type" values on input.
LEGACY_CATEGORIES: dict[str, str] = {
    "Violent crime": "violent-crime-legacy",
    "Public disorder and weapons": "public-disorder-weapons",
}

ASB = "Anti-social behaviour"

# A force's sensitive flag, as text (case and surrounding spaces aside): the values that say
# yes and those that say no. Any other value says neither, and is never read as a no: the
# loader rejects its row (bad_sensitive_flag), and the anonymise step, given a table edited
# after the load, treats the crime as sensitive (fail closed).
SENSITIVE_YES = frozenset({"1", "y", "yes", "true", "t", "sensitive", "restricted"})
SENSITIVE_NO = frozenset({"", "0", "n", "no", "false", "f"})

# A yes/no setting given as text (a Processing flag from qgis_process or a model), case and
# surrounding spaces aside. Why a table: Qt reads every text but "", "0" and "false" as
# true, so FDR=no, ATLAS=off or WITH_MAP=maybe switched the setting on without a word.
FLAG_WORDS: dict[str, bool] = {"true": True, "yes": True, "1": True}
FLAG_WORDS.update({"false": False, "no": False, "0": False})


def flag_word(text: str) -> Optional[bool]:
    """True or False for a word of :data:`FLAG_WORDS`, None for any other text."""
    return FLAG_WORDS.get(text.strip().lower())


def flag_value(value: object) -> Optional[bool]:
    """True or False for a yes/no given as a value, not text: a bool (numpy's too) or the
    number 0 or 1; None for anything else (2, -1, 0.5, NaN, a text, None). Why: a number
    was read by its truth, so ``FDR=2`` or ``-1`` from Python ran with the correction on
    and ``NaN`` with it off, each without a word; the one rule of every yes/no entry point
    that takes a value (processing.base.parameter_bool, core.hotspots.fdr.fdr_flag)."""
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return bool(value)
    if isinstance(value, numbers.Real):
        return bool(value) if value in (0, 1) else None
    return None


def sensitive_flag(value: str) -> int:
    """1 for a sensitive flag that says yes, 0 for one that says no, -1 for neither."""
    folded = value.strip().lower()
    return 1 if folded in SENSITIVE_YES else 0 if folded in SENSITIVE_NO else -1


#: The translation context of the labels marked with :func:`tr_noop` in QGIS-free modules
#: (tools/translation_template.py; the dock translates them with ui.widgets.vocabulary_text).
VOCABULARY_CONTEXT = "Vocabulary"


def tr_noop(text: str) -> str:
    """Marks a label for the translation template (in a module that sets ``TR_CONTEXT =
    VOCABULARY_CONTEXT``); the code keeps comparing the untranslated text or its key, the
    dock shows the translation."""
    return text


def fold_text(text: str) -> str:
    """Fold case, punctuation and spacing so spelling variants meet one key."""
    text = text.strip().lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(w for w in text.split() if w not in {"a", "an", "the"})


_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_ASCII_SEPARATORS = re.compile(r"(?:[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]|\s)+")
#: the zeros that lead a code's class number, but its last digit ("00" is "0")
_CLASS_ZEROS = re.compile(r"\A0+(?=[0-9])")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def is_offence_code(text: str) -> bool:
    """Whether ``text`` is written as a Home Office offence code ("8N", "105A", "4.1"), not
    a description: its first ASCII letter or digit is a digit (:func:`offence_key`'s rule)."""
    first = _ASCII_ALNUM.search(text)
    return first is not None and first.group().isdigit()


def offence_key(text: str) -> str:
    """The key an offence cell and an offence table's entry meet on. A description is
    folded as :func:`fold_text` folds it (case, punctuation, spacing and articles).

    A code (a text whose first ASCII letter or digit is a digit: "1", "28A", "4.1") is
    matched as written, but for case and the ASCII punctuation or spacing between its
    parts ("4.1", "4/1", "4-1" and "4 1" meet): what stands before its first letter or digit or
    after its last, a non-ASCII character ("１", "é") and a lone letter are kept. Why:
    folded as a description, "+1", "-1", "(1)", "1." and "é1" all became "1" and "28 A"
    became "28" (the article "a" dropped), each mapped to that Home Office code's
    category without a word. "" for a text with no ASCII letter or digit: no offence.

    The zeros that lead a code's class number are dropped ("01" is "1", "008N" "8N",
    "0105A" "105A", "04.1" "4.1"): a Home Office class is a number (1 to 999, none written
    with a leading zero), which a records system often pads to a width ("008N",
    "028/01"), so these cells name that one code and were rejected as unknown offences.
    Only the class's zeros: a part after a separator keeps them ("4.01" is neither "4.1"
    nor "4.10", both codes), and "1.0" (a spreadsheet's number, which also makes "4.10"
    "4.1") stays no code. A table listing "01" and "1" gives them one key, so two
    categories for them are refused (read_offence_table), not one picked."""
    text = text.strip()
    first = _ASCII_ALNUM.search(text)
    if first is None:
        return ""
    if not is_offence_code(text):
        return fold_text(text)
    last = max(m.end() for m in _ASCII_ALNUM.finditer(text))
    lead, core, trail = text[: first.start()], text[first.start() : last], text[last:]
    core = _ASCII_SEPARATORS.sub(" ", core).translate(_ASCII_LOWER)  # (not str.lower: "K")
    core = _CLASS_ZEROS.sub("", core)
    return "".join(lead.split()) + core + "".join(trail.split())


_CATEGORY_LOOKUP: dict[str, str] = {}
for _c in CATEGORIES:
    _CATEGORY_LOOKUP[fold_text(_c.name)] = _c.name
    _CATEGORY_LOOKUP[fold_text(_c.slug)] = _c.name
for _legacy in LEGACY_CATEGORIES:
    _CATEGORY_LOOKUP[fold_text(_legacy)] = _legacy
_CATEGORY_LOOKUP[fold_text("Violent and sexual offences")] = "Violence and sexual offences"
_CATEGORY_LOOKUP[fold_text("Antisocial behaviour")] = ASB
_CATEGORY_LOOKUP[fold_text("Criminal damage & arson")] = "Criminal damage and arson"


#: Folded spellings that are one category's API slug and another's published name:
#: "violent-crime" (Violence and sexual offences) and "Violent crime" (police.uk's category
#: before 2013) both fold to "violent crime". Folded key -> (the slug, its category).
_SLUG_OR_NAME: dict[str, tuple[str, str]] = {
    fold_text(c.slug): (c.slug, c.name)
    for c in CATEGORIES
    if _CATEGORY_LOOKUP[fold_text(c.slug)] != c.name
}


def normalise_category(value: str) -> Optional[str]:
    """The canonical category name for a published or slug spelling, or None if unknown.

    An exact API slug is read as its category before any folding, and a spelling that folds
    to both a slug and another category's name is read only when written exactly as one of
    them (:func:`ambiguous_category`). Why: folded first, the slug "violent-crime" (and
    "Violent-Crime", "violent crime") read as "Violent crime", the category before 2013: an
    offence table or release rule naming Violence and sexual offences by its slug gave its
    crimes the old category, or withheld nothing."""
    if not value:
        return None
    if value in CATEGORY_BY_NAME:  # the common case, without folding
        return value
    text = value.strip()
    if text in CATEGORY_BY_SLUG:
        return CATEGORY_BY_SLUG[text].name
    if ambiguous_category(text):
        return None
    return _CATEGORY_LOOKUP.get(fold_text(text))


def ambiguous_category(value: str) -> Optional[tuple[str, str]]:
    """The two categories ``value`` could name, when it folds to both a slug and another
    category's published name ("Violent-Crime": "Violent crime" or "Violence and sexual
    offences") and is written exactly as neither; None for any other text."""
    text = value.strip()
    entry = _SLUG_OR_NAME.get(fold_text(text))
    if entry is None or text == entry[0]:
        return None
    named = _CATEGORY_LOOKUP[fold_text(text)]
    return None if text == named else (named, entry[1])


def all_category_names() -> tuple[str, ...]:
    """Current and legacy names: the categories a loaded table may hold."""
    return CATEGORY_NAMES + tuple(LEGACY_CATEGORIES)


@dataclass(frozen=True)
class Outcome:
    """A police.uk outcome category and the group it belongs to for charts and legends."""

    name: str
    group: str


OUTCOME_GROUPS: tuple[str, ...] = (
    "Under investigation",
    "No further action",
    "Out-of-court resolution",
    "Charged or at court",
    "Offender sentenced at court",
    "Unavailable",
)

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("Investigation complete; no suspect identified", "No further action"),
    Outcome("Unable to prosecute suspect", "No further action"),
    Outcome("Under investigation", "Under investigation"),
    Outcome("Status update unavailable", "Unavailable"),
    Outcome("Awaiting court outcome", "Charged or at court"),
    Outcome("Court result unavailable", "Unavailable"),
    Outcome("Court case unable to proceed", "No further action"),
    Outcome("Local resolution", "Out-of-court resolution"),
    Outcome("Offender given a caution", "Out-of-court resolution"),
    Outcome("Offender given a drugs possession warning", "Out-of-court resolution"),
    Outcome("Offender given penalty notice", "Out-of-court resolution"),
    Outcome("Offender fined", "Offender sentenced at court"),
    Outcome("Offender given community sentence", "Offender sentenced at court"),
    Outcome("Offender given conditional discharge", "Offender sentenced at court"),
    Outcome("Offender given absolute discharge", "Offender sentenced at court"),
    Outcome("Offender given suspended prison sentence", "Offender sentenced at court"),
    Outcome("Offender sent to prison", "Offender sentenced at court"),
    Outcome("Offender otherwise dealt with", "Offender sentenced at court"),
    Outcome("Offender ordered to pay compensation", "Offender sentenced at court"),
    Outcome("Offender deprived of property", "Offender sentenced at court"),
    Outcome("Suspect charged", "Charged or at court"),
    Outcome("Suspect charged as part of another case", "Charged or at court"),
    Outcome("Defendant found not guilty", "Charged or at court"),
    Outcome("Defendant sent to Crown Court", "Charged or at court"),
    Outcome("Formal action is not in the public interest", "No further action"),
    Outcome("Further investigation is not in the public interest", "No further action"),
    Outcome("Further action is not in the public interest", "No further action"),
    Outcome("Action to be taken by another organisation", "No further action"),
)

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
OUTCOME_BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}

# Spellings seen in real files (and the older API's slugs) for the same outcome.
_OUTCOME_VARIANTS: dict[str, str] = {
    "Offender given a penalty notice": "Offender given penalty notice",
    "Offender given a community sentence": "Offender given community sentence",
    "Offender given a conditional discharge": "Offender given conditional discharge",
    "Offender given an absolute discharge": "Offender given absolute discharge",
    "Offender given a suspended prison sentence": "Offender given suspended prison sentence",
    "Offender given a drugs possession warning": "Offender given a drugs possession warning",
    "Offender given drugs possession warning": "Offender given a drugs possession warning",
    "Offender cautioned": "Offender given a caution",
    "Investigation complete - no suspect identified": (
        "Investigation complete; no suspect identified"
    ),
    "No further action": "Investigation complete; no suspect identified",
    "Defendant sent to crown court": "Defendant sent to Crown Court",
    "Offender imprisoned": "Offender sent to prison",
    "Awaiting court result": "Awaiting court outcome",
    "Suspect charged as part of another case.": "Suspect charged as part of another case",
}

_OUTCOME_LOOKUP: dict[str, str] = {fold_text(o.name): o.name for o in OUTCOMES}
for _variant, _canonical in _OUTCOME_VARIANTS.items():
    _OUTCOME_LOOKUP[fold_text(_variant)] = _canonical


def normalise_outcome(value: str) -> Optional[str]:
    """The canonical outcome for a spelling variant, or None when the text is not an outcome."""
    if not value:
        return None
    if value in OUTCOME_BY_NAME:
        return value
    return _OUTCOME_LOOKUP.get(fold_text(value))


def outcome_group(name: str) -> Optional[str]:
    """The chart/legend group of a canonical outcome name."""
    outcome = OUTCOME_BY_NAME.get(name)
    return outcome.group if outcome else None


#: police.uk's street-level CSV columns, in file order: the header the loader recognises a
#: police.uk street file by, and the public release table's exact schema (one list, so the
#: file we read and the file we publish can never drift apart).
STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
