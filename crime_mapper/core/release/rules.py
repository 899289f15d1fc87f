"""Release rules: what happens to each crime category, and to crimes flagged as sensitive.

Every row of a release meets exactly one fate, chosen by its action:

- ``"map"``: published at its nearest anonymous map point (police.uk's treatment);
- ``"no_location"``: published, counted in every total, but without coordinates or LSOA
  (police.uk's "No Location" rows);
- ``"withhold"``: left out of the public table entirely, and counted in the audit.

Documented defaults (:data:`DEFAULT_RULES`, and the shipped file
``resources/release_rules_default.json`` generated from it):

- every category, current and legacy, is ``"map"``: that is what police.uk publishes, and a
  force's own release should match the national one unless the force decides otherwise;
- crimes the force flags as sensitive are ``"withhold"``. The flag exists precisely because the
  force judged that the row needs special handling (for example a domestic abuse address, or a
  case that could identify a victim), and the tool cannot know what that handling is. Failing
  safe means the row is withheld and counted in the audit until an analyst decides, in writing
  in a saved rules file, that it may be published.

Disclosure settings (see :mod:`.disclosure`): ``min_catchment_addresses`` (K, default 8 as
police.uk: a map point used must have at least K addresses in its catchment, or none) can only
be lowered in a saved rules file, which the audit and manifest then record;
``confirm_unknown_catchments`` is the analyst's written confirmation (who checked a user map
point layer without address counts, and how) without which such a layer is refused.

A sensitive row gets the *stricter* of its category's action and the sensitive action
(``withhold`` > ``no_location`` > ``map``): the sensitive rule can only ever take information
out of a release, never put back something the category rule took out. Categories a rules file
does not name get the police.uk default ``"map"``; :meth:`ReleaseRules.to_dict` always writes
every category, so a saved file states the whole policy.

Regenerate the shipped default file after changing :data:`DEFAULT_RULES`::

    /usr/bin/python3 -m crime_mapper.core.release.rules > \\
        crime_mapper/resources/release_rules_default.json

(a test checks the file and the constant agree). Imports nothing from QGIS.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from ..common.json_file import read_json_file
from ..common.staging import write_text_atomic
from ..common.text_file import invisible_text_problem, shown_keys, shown_path, shown_value
from ..common.vocabulary import (
    CATEGORY_BY_NAME,
    all_category_names,
    ambiguous_category,
    normalise_category,
)
from .release_limits import shown_number, written_number

ACTIONS: tuple[str, ...] = ("map", "no_location", "withhold")
# Strictness order used to combine a category's action with the sensitive action.
_STRICTNESS = {action: rank for rank, action in enumerate(ACTIONS)}

RULES_FORMAT = "crime_mapper release rules"
RULES_VERSION = 1
DEFAULT_CATEGORY_ACTION = "map"
DEFAULT_SENSITIVE_ACTION = "withhold"
DEFAULT_MIN_CATCHMENT_ADDRESSES = 8
#: The largest K a rules file may ask for. Why: 10**30 was accepted and the leak gate then
#: refused every map point with a known catchment (and its message offered 1 to 10**30 - 1
#: addresses). A catchment of 1,000 addresses is more than a whole LSOA (about 650
#: households on average), so a K above it is no street-level map point: a typo, not policy.
MAX_MIN_CATCHMENT_ADDRESSES = 1_000

PathLike = Union[str, Path]


class ReleaseRulesError(ValueError):
    """A rules file or mapping names an unknown category or action."""


def _check_action(action: object, where: str) -> str:
    if action not in ACTIONS:
        raise ReleaseRulesError(
            f"{where}: unknown action {shown_value(action)}; use one of {', '.join(ACTIONS)}"
        )
    return str(action)


def _category_name(name: object) -> Optional[str]:
    """Published name for a name or an exact API slug (vocabulary.normalise_category: an
    exact slug first, so "violent-crime" is Violence and sexual offences)."""
    return normalise_category(name) if isinstance(name, str) else None


def _ambiguous_name(name: str) -> None:
    """ReleaseRulesError for a category that could name two ("Violent-Crime", "violent
    crime": vocabulary.ambiguous_category), naming both: read as the category before 2013,
    which no current extract holds, a rule withholding it withheld nothing, and Violence and
    sexual offences, meant by its slug, was published at its map points without a word."""
    both = ambiguous_category(name)
    if both:
        slug = CATEGORY_BY_NAME[both[1]].slug
        raise ReleaseRulesError(
            f"release rules: category {name!r:.80} could be {both[0]!r} or {both[1]!r} (its "
            f"slug {slug!r}): write one of them exactly"
        )


def _check_listed_actions(listed: Any) -> None:
    """A rules file's ``actions``: the action words, written for whoever reads the file (the
    category's action is set by ``category_actions``). Read only to refuse what is not such
    a list. Why: the key was never read, so ``"actions": 5``, or a list naming a word this
    version does not know (an analyst taking it for the place to add one), passed in
    silence."""
    if not isinstance(listed, list) or not all(isinstance(word, str) for word in listed):
        raise ReleaseRulesError(
            f"release rules: actions must be a list of the action words ({', '.join(ACTIONS)}); "
            "a category's action is set in category_actions"
        )
    unknown = [word for word in listed if word not in ACTIONS]
    if unknown:
        raise ReleaseRulesError(
            f"release rules: unknown action {shown_value(unknown[0])} in actions (known: "
            f"{', '.join(ACTIONS)})"
        )


def _canonical_actions(category_actions: dict) -> dict[str, str]:
    """Every category (current and legacy, vocabulary order) -> a checked action."""
    known = all_category_names()
    given: dict[str, str] = {}
    for name, action in category_actions.items():
        if isinstance(name, str):
            _ambiguous_name(name)
        canonical = _category_name(name)
        if canonical is None or canonical not in known:
            raise ReleaseRulesError(
                f"release rules: unknown crime category {shown_value(name)}; categories are "
                f"{', '.join(known)}"
            )
        if canonical in given and given[canonical] != action:
            raise ReleaseRulesError(
                f"release rules: category {canonical!r} is given twice with different actions"
            )
        given[canonical] = _check_action(action, f"release rules, category {canonical!r}")
    return {name: given.get(name, DEFAULT_CATEGORY_ACTION) for name in known}


def _check_confirmation(text: str) -> None:
    """ReleaseRulesError for a confirmation given but not readable (invisible_text_problem):
    it lets a refused release through and is recorded in the audit as who checked. Blank
    (or white space alone) is no confirmation, as before."""
    problem = invisible_text_problem(text) if text.split() else ""
    if problem:
        raise ReleaseRulesError(
            f"release rules: confirm_unknown_catchments {text!r:.80} {problem}: write who "
            "checked the map points' catchments (and how) in visible text, or leave it blank"
        )


def _shown_value(value: object) -> str:
    """A setting's value for a refusal: a number as the file writes it (a WrittenFloat's or
    WrittenInt's text, core.common.json_file: 1e400 is no "inf", 1e-400 no "0.0", -0 no
    "0"), anything else as Python writes it, cut. Why: a refusal of 1e400 showed the
    infinity it became, and one of -0 a 0 the analyst never wrote."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return shown_number(written_number(value))
    return f"{value!r:.80}"


@dataclass(frozen=True)
class ReleaseRules:
    """Per-category actions plus the action for rows flagged sensitive.

    ``category_actions`` may name categories by published name or API slug and may leave
    some out (they get ``"map"``); after construction it holds every category by its
    published name, in vocabulary order.
    """

    category_actions: dict = field(default_factory=dict)
    sensitive_action: str = DEFAULT_SENSITIVE_ACTION
    min_catchment_addresses: int = DEFAULT_MIN_CATCHMENT_ADDRESSES
    confirm_unknown_catchments: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "category_actions", _canonical_actions(self.category_actions))
        _check_action(self.sensitive_action, "release rules, sensitive_action")
        k = self.min_catchment_addresses
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ReleaseRulesError(
                "release rules: min_catchment_addresses must be a whole number of at least 1, "
                f"not {_shown_value(k)}"
            )
        if k > MAX_MIN_CATCHMENT_ADDRESSES:
            raise ReleaseRulesError(
                f"release rules: min_catchment_addresses {k:,} is more than "
                f"{MAX_MIN_CATCHMENT_ADDRESSES:,}: a catchment that large is more than a whole "
                f"LSOA, not a street; police.uk uses {DEFAULT_MIN_CATCHMENT_ADDRESSES}"
            )
        object.__setattr__(self, "min_catchment_addresses", int(k))  # (a WrittenInt: its int)
        if not isinstance(self.confirm_unknown_catchments, str):
            raise ReleaseRulesError("release rules: confirm_unknown_catchments must be text")
        _check_confirmation(self.confirm_unknown_catchments)
        object.__setattr__(
            self, "confirm_unknown_catchments", " ".join(self.confirm_unknown_catchments.split())
        )

    def action_for(self, category: str, sensitive: bool = False) -> str:
        """The action for one row: the category's, made stricter by the sensitive flag."""
        action = self.category_actions.get(category, DEFAULT_CATEGORY_ACTION)
        if sensitive and _STRICTNESS[self.sensitive_action] > _STRICTNESS[action]:
            return self.sensitive_action
        return action

    def to_dict(self) -> dict:
        """Plain data with a stable key order (written as the rules file, and in the audit)."""
        return {
            "format": RULES_FORMAT,
            "version": RULES_VERSION,
            "actions": list(ACTIONS),
            "category_actions": dict(self.category_actions),
            "sensitive_action": self.sensitive_action,
            "min_catchment_addresses": int(self.min_catchment_addresses),
            "confirm_unknown_catchments": self.confirm_unknown_catchments,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ReleaseRules:
        if not isinstance(data, dict):
            raise ReleaseRulesError("release rules: expected a JSON object")
        if data.get("format", RULES_FORMAT) != RULES_FORMAT:
            raise ReleaseRulesError(
                f"release rules: not a rules file (format {shown_value(data.get('format'))})"
            )
        version = data.get("version", RULES_VERSION)
        # Not ==: true and 1.0 equal 1 in Python, and a file saying "version": true was read
        # as version 1. Only the whole number 1 is a version this reader knows (a WrittenInt,
        # read from a file, is a whole number; a bool and a WrittenFloat are not).
        whole = isinstance(version, int) and not isinstance(version, bool)
        if not whole or version != RULES_VERSION:
            raise ReleaseRulesError(
                f"release rules: version {_shown_value(version)} is not supported (expected "
                f"{RULES_VERSION})"
            )
        unknown = sorted(
            set(data)
            - {
                "format",
                "version",
                "actions",
                "category_actions",
                "sensitive_action",
                "min_catchment_addresses",
                "confirm_unknown_catchments",
                "notes",
            }
        )
        if unknown:
            raise ReleaseRulesError(f"release rules: unknown key(s) {shown_keys(unknown)}")
        _check_listed_actions(data.get("actions", list(ACTIONS)))
        actions = data.get("category_actions", {})
        if not isinstance(actions, dict):
            raise ReleaseRulesError("release rules: category_actions must be an object")
        return cls(
            category_actions=actions,
            sensitive_action=data.get("sensitive_action", DEFAULT_SENSITIVE_ACTION),
            min_catchment_addresses=data.get(
                "min_catchment_addresses", DEFAULT_MIN_CATCHMENT_ADDRESSES
            ),
            confirm_unknown_catchments=data.get("confirm_unknown_catchments", ""),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: PathLike) -> ReleaseRules:
        """Read a rules file; errors name the file and the problem."""
        # (a byte order mark allowed, as a profile's; a float kept as written, for a refusal)
        data = read_json_file(path, ReleaseRulesError, floats_written=True, ints_written=True)
        try:
            return cls.from_dict(data)
        except ReleaseRulesError as exc:
            raise ReleaseRulesError(f"{shown_path(path)}: {exc}") from exc

    def save(self, path: PathLike) -> None:
        write_text_atomic(path, self.to_json())


DEFAULT_RULES = ReleaseRules()


if __name__ == "__main__":  # regenerate resources/release_rules_default.json
    sys.stdout.write(DEFAULT_RULES.to_json())
