"""The leak gate's narrow allowance for texts a neighbourhood team supplied for publication
(``check_release(..., team_texts=)``): rendered event dates and the team's own contact details
are exempt from the date/time and contact checks only, as whole occurrences, and never from the
reference, coordinate, raw-value or free-text checks.

The leak gate's real test world (tests/support/leak_world.py): a force extract built from
real police.uk rows, moved off its map points, with names, offence codes and free-text
notes, released by the real anonymiser; the web-map style folder is the clean output, and
each test plants text in it.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate.context import GateContext, PreparedGate
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import NAMES, copy_folder, expect_only, failed, plant, raw_row, refs

EVENT = "Saturday 15 October 2022, 10:00 to 12:00"
TEAM_EMAIL = "city.centre.npa@leics.police.uk"
TEAM_PHONE = "0116 222 2222"
TEAM = [EVENT, TEAM_EMAIL, TEAM_PHONE]


def _site_with(clean_outputs: dict, tmp_path: Path, html: str) -> Path:
    site = copy_folder(clean_outputs["folder"], tmp_path)
    plant(site, "index.html", "<h1>", html + "<h1>")
    return site


def _team_paragraphs() -> str:
    return (
        f"<h2>Meet your team</h2><p><time>{EVENT}</time></p>"
        f"<p>Write to us at {TEAM_EMAIL} or call {TEAM_PHONE}.</p>"
        f'<p><a href="mailto:{TEAM_EMAIL}">E-mail the team</a></p>'
    )


def test_team_texts_refused_without_the_allowance(world: dict, clean_outputs: dict, tmp_path):
    site = _site_with(clean_outputs, tmp_path, _team_paragraphs())
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_dates_finer_than_month", "no_contact_details")


def test_team_texts_pass_with_the_allowance(world: dict, clean_outputs: dict, tmp_path):
    site = _site_with(clean_outputs, tmp_path, _team_paragraphs())
    report = check_release(world["raw"], site, world["points"], team_texts=TEAM)
    assert report.passed, report.message()


def test_team_text_whitespace_is_folded_like_the_page(world, clean_outputs, tmp_path):
    site = _site_with(clean_outputs, tmp_path, f"<p>{EVENT.replace(' ', chr(10) + '  ')}</p>")
    report = check_release(world["raw"], site, world["points"], team_texts=[EVENT])
    assert report.passed, report.message()


@pytest.mark.parametrize(
    "planted",
    [
        "{day}",  # the raw crime's own day, elsewhere on the page
        "Reported {iso}",
        "15 October 2022",  # the event's day without its full rendered form
        "Saturday 15 October 2022, 10:00",  # a prefix of the team text is not the team text
        "at 10:00",
    ],
)
def test_day_precise_raw_date_elsewhere_is_still_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, planted: str
):
    when = pd.Timestamp(raw_row(world)["occurred_at"])
    text = planted.format(day=when.strftime("%d/%m/%Y"), iso=when.strftime("%Y-%m-%dT%H:%M"))
    site = _site_with(clean_outputs, tmp_path, _team_paragraphs() + f"<p>{text}</p>")
    report = check_release(world["raw"], site, world["points"], team_texts=TEAM)
    expect_only(report, "no_dates_finer_than_month")
    assert EVENT not in report.message()


@pytest.mark.parametrize("tail", [":33", "-05", "/2023", "pm"])
def test_team_text_does_not_hide_what_is_written_straight_after_it(
    world: dict, clean_outputs: dict, tmp_path: Path, tail: str
):
    site = _site_with(clean_outputs, tmp_path, f"<p>{EVENT}{tail}</p>")
    report = check_release(world["raw"], site, world["points"], team_texts=[EVENT])
    assert "no_dates_finer_than_month" in failed(report), report.message()


@pytest.mark.parametrize(
    "planted",
    ["pc.jones@leics.police.uk", "07700 900123", f"x.{TEAM_EMAIL}", f"{TEAM_EMAIL}.evil.com"],
)
def test_other_contacts_are_still_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, planted: str
):
    site = _site_with(clean_outputs, tmp_path, _team_paragraphs() + f"<p>Or {planted}</p>")
    report = check_release(world["raw"], site, world["points"], team_texts=TEAM)
    expect_only(report, "no_contact_details")


def _disguised(world: dict) -> dict[str, tuple[str, str]]:
    """Raw values passed off as team texts, each with the check that must still refuse it."""
    row = raw_row(world)
    note = world["raw"]["extra_mo_notes"].iat[9]
    return {
        "reference": (f"{EVENT} {refs(world)[7]}", "no_source_references"),
        "name": (f"{EVENT} with {NAMES[1]}", "no_non_public_values"),
        "free text": (f"{EVENT}: {note}", "no_non_public_values"),
        "coordinate": (
            f"{EVENT} at {row['latitude']:.5f}, {row['longitude']:.5f}",
            "no_raw_coordinates",
        ),
    }


@pytest.mark.parametrize("kind", ["reference", "name", "free text", "coordinate"])
def test_raw_value_disguised_as_team_event_date_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, kind: str
):
    text, check = _disguised(world)[kind]
    site = _site_with(clean_outputs, tmp_path, f"<p>{text}</p>")
    report = check_release(world["raw"], site, world["points"], team_texts=[text])
    assert check in failed(report), report.message()
    # the allowance itself held: only the raw-value checks speak
    assert "no_dates_finer_than_month" not in failed(report)


def test_team_contact_that_is_a_raw_value_is_refused(world, clean_outputs, tmp_path):
    """A contact allowed as a team text is still a raw value when the raw table holds it."""
    raw = world["raw"].copy()
    raw["extra_victim_email"] = TEAM_EMAIL
    site = _site_with(clean_outputs, tmp_path, _team_paragraphs())
    report = check_release(raw, site, world["points"], team_texts=TEAM)
    expect_only(report, "no_non_public_values")


@pytest.mark.parametrize("bad", [[EVENT, 42], EVENT])
def test_malformed_team_texts_fail_closed(world: dict, clean_outputs: dict, tmp_path, bad):
    site = _site_with(clean_outputs, tmp_path, _team_paragraphs())
    report = check_release(world["raw"], site, world["points"], team_texts=bad)
    assert {"no_dates_finer_than_month", "no_contact_details"} <= failed(report)
    assert "could not run" in report.message()


def test_empty_team_texts_allow_nothing(world: dict, clean_outputs: dict, tmp_path: Path):
    site = _site_with(clean_outputs, tmp_path, "<p>Reported 12/10/2022</p>")
    report = check_release(world["raw"], site, world["points"], team_texts=["", "  "])
    expect_only(report, "no_dates_finer_than_month")


# --- a team file of many contacts ---------------------------------------------------------------
def _alternation(texts: list[str]) -> re.Pattern:
    """The team mask as it was written: one branch per text, longest first."""
    ordered = sorted(texts, key=lambda t: (-len(t), t))
    return re.compile(
        r"(?<![\w./:-])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w/:]|[.-]\d)"
    )


@pytest.fixture(scope="module")
def prepared(world: dict) -> PreparedGate:
    return PreparedGate(world["raw"], world["points"])


def test_the_team_mask_hides_what_the_alternation_of_its_texts_hides(prepared):
    """The mask is a tree of the texts' shared prefixes (a team file of 50,000 phone numbers
    made the gate run for minutes: every branch tried at every position of every page); it
    must hide exactly the whole occurrences the plain alternation hides."""
    rng = random.Random(3)
    alphabet = "ab1:. -0"
    for _ in range(300):
        texts = {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))).strip() or "a"
            for _ in range(rng.randint(1, 12))
        }
        mask = GateContext(prepared, [], team_texts=list(texts))
        plain = _alternation(sorted(texts))
        for _ in range(30):
            text = "".join(rng.choice(alphabet + "x/") for _ in range(rng.randint(0, 40)))
            assert mask.without_team_texts(text) == plain.sub("\x00", text), (texts, text)


def test_a_team_of_fifty_thousand_contacts_is_masked_as_a_tree(prepared):
    contacts = [f"0116 {i % 1000:03d} {j:04d}" for i in range(1000) for j in range(50)]
    ctx = GateContext(prepared, [], team_texts=contacts)
    page = " ".join(contacts[::7]) + " 2022-10-15 09:30 0116 999 99999"
    masked = ctx.without_team_texts(page)
    assert masked == _alternation(contacts).sub("\x00", page)
    assert masked.endswith("\x00 2022-10-15 09:30 0116 999 99999")
    # a tree: each contact's shared "0116 " written once, not once per contact
    assert ctx._team_mask.pattern.count("0116") == 1
