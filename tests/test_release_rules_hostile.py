"""Release rules naming a category by a spelling that is two categories' at once.

Why: "violent-crime" is the API slug of Violence and sexual offences, and "Violent crime" the
published name of the category before 2013; both fold to one key. A rules file saying
``"Violent-Crime": "withhold"`` (or "violent crime", "violent_crime") was read as the old
category, which no current extract holds: it withheld nothing, and every crime of Violence
and sexual offences was published at its map point without a word. Such a spelling is now
refused, naming both readings; the slug and the published names written exactly are read as
before. The same holds wherever a category is read (an offence table, a profile's
offence_mapping, hotspots' --category): one rule, vocabulary.normalise_category. Real
files, the real command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.load.mapping_profile import ProfileError, read_offence_table
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


def test_an_offence_table_naming_a_category_by_its_slug_gives_that_category(
    tmp_path: Path,
) -> None:
    """The same fold, one source of truth (vocabulary.normalise_category): a force's offence
    table or profile giving Poaching the category "violent-crime" filed its crimes under
    "Violent crime", the category before 2013, in an October 2022 load."""
    with open(FORCE_PROFILE, encoding="utf-8") as handle:
        data = json.load(handle)
    data["offence_mapping"] = {"Poaching": "violent-crime"}
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(data), "utf-8")
    extract = tmp_path / FORCE_EXTRACT.name
    lines = FORCE_EXTRACT.read_text("utf-8").splitlines(keepends=True)
    extract.write_text(lines[0] + lines[1].replace(",8L,", ",Poaching,"), "utf-8")
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", profile, extract)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "validation_report.json").read_text("utf-8"))
    assert report["crimes"]["by_category"] == {"Violence and sexual offences": 1}

    data["offence_mapping"] = {"Poaching": "Violent-Crime"}
    profile.write_text(json.dumps(data), "utf-8")
    done = plain_cli("load", "--out", tmp_path / "again", "--profile", profile, extract)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "it could be 'Violent crime' or 'Violence and sexual offences'" in done.stderr
    table = tmp_path / "offences.csv"
    table.write_text("offence,category\nPoaching,violent crime\n", "utf-8")
    with pytest.raises(ProfileError, match=r"offences\.csv:2: 'violent crime' is not a police"):
        read_offence_table(table)
