"""Release rules naming a category by a spelling that is two categories' at once.

Why: "violent-crime" is the API slug of Violence and sexual offences, and "Violent crime" the
published name of the category before 2013; both fold to one key. A rules file saying
``"Violent-Crime": "withhold"`` (or "violent crime", "violent_crime") was read as the old
category, which no current extract holds: it withheld nothing, and every crime of Violence
and sexual offences was published at its map point without a word. Such a spelling is now
refused, naming both readings; the slug and the published names written exactly are read as
before. Real files, the real command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.release.rules import ReleaseRules, ReleaseRulesError
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, make_salt, plain_cli

AMBIGUOUS = ["Violent-Crime", "violent crime", "VIOLENT CRIME", "violent_crime", " Violent Crime "]
#: spellings read as one category, and the category
EXACT = {
    "violent-crime": "Violence and sexual offences",
    " violent-crime ": "Violence and sexual offences",
    "Violent crime": "Violent crime",
    "Violence and sexual offences": "Violence and sexual offences",
    "violence and sexual offences": "Violence and sexual offences",
    "drugs": "Drugs",
}


@pytest.mark.parametrize("name", AMBIGUOUS)
def test_a_spelling_of_two_categories_is_refused(name: str) -> None:
    with pytest.raises(ReleaseRulesError, match="could be 'Violent crime' or 'Violence and"):
        ReleaseRules.from_dict({"category_actions": {name: "withhold"}})


@pytest.mark.parametrize(("name", "category"), EXACT.items())
def test_an_exact_spelling_names_its_category(name: str, category: str) -> None:
    rules = ReleaseRules.from_dict({"category_actions": {name: "withhold"}})
    assert [c for c, a in rules.category_actions.items() if a == "withhold"] == [category]


def test_the_release_is_refused_on_the_command_line(tmp_path: Path) -> None:
    points = tmp_path / "points.csv"
    assert plain_cli("map-points", "history", *HISTORY, "--out", points).returncode == 0
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"category_actions": {"Violent-Crime": "withhold"}}), "utf-8")
    out = tmp_path / "release"
    done = plain_cli(
        "anonymise", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--points", points,
        "--salt-file", make_salt(tmp_path / "secret" / "force.salt"), "--out", out,
        "--no-gpkg", "--rules", rules,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "rules.json: release rules: category 'Violent-Crime' could be" in done.stderr
    assert not out.exists() or not any(out.iterdir())
