"""The summaries command refuses, before anything is written, inputs it used to take in
silence: a team file with no team in it (no entry, or only empty ones), and a force name
holding a control or bidi character, or longer than a force name may be. Real files, a
real release (tests.support.summaries_release), the plain-Python command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.summaries_release import make_release, summaries_cli


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_refusals"))


@pytest.mark.parametrize("text", ["", "code,kind,name\n"])
def test_an_empty_team_file_is_refused_naming_it(release: dict, tmp_path: Path, text: str):
    """It was taken as no team: the pages were published with none, and exit 0."""
    team = tmp_path / "priorities.csv"
    team.write_text(text, encoding="utf-8")
    run = summaries_cli(release, release["csv"], tmp_path / "out", team=team)
    assert run.returncode == 2, run.stderr
    assert "crime_mapper: error: priorities.csv: the team information " in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


@pytest.mark.parametrize(
    "name, text, said",
    [
        ("team.json", '{"E02002834": {}}', "names 1 neighbourhood but its entry is empty"),
        (
            "team.json",
            '{"E02002834": {"neighbourhood": {"name": "", "description": "  "}, "people": [],'
            ' "priorities": [], "events": []}, "E02002835": {"people": [{"name": ""}]}}',
            "names 2 neighbourhoods but its 2 entries are all empty",
        ),
        (
            "team.json",
            '[{"neighbourhood": {"id": "E02002834", "contact_details": {"telephone": ""}}}]',
            "names 1 neighbourhood but its entry is empty",
        ),
        (
            "team.csv",
            "code,kind,name,issue\nE02002834,neighbourhood,,\nE02002835,priority,,\n",
            "names 2 neighbourhoods but its 2 entries are all empty",
        ),
    ],
)
def test_a_team_file_of_empty_entries_is_refused_naming_it(
    release: dict, tmp_path: Path, name: str, text: str, said: str
):
    """Every entry empty (no name, description, contact, link, person, priority or event):
    taken as teams, and the pages were published with none, and exit 0, as an empty file
    was."""
    team = tmp_path / name
    team.write_text(text, encoding="utf-8")
    run = summaries_cli(release, release["csv"], tmp_path / "out", team=team)
    assert run.returncode == 2, run.stderr
    assert f"crime_mapper: error: {name}: the team information {said}: nothing a page " in (
        run.stderr
    )
    assert "give the file holding the teams" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


@pytest.mark.parametrize(
    "name, shown",
    [
        ("Leicestershire \u202eeciloP", "'\\u202e'"),
        ("Leicestershire \u2066Police\u2069", "'\\u2066'"),
        ("Leicestershire\nPolice", "'\\n'"),
        ("Leicestershire\u2028Police", "'\\u2028'"),
        ("\x1b[31mLeicestershire Police", "'\\x1b'"),
    ],
)
def test_a_force_name_with_a_control_is_refused(release: dict, tmp_path: Path, name, shown):
    """A bidi override or a line break in --force-name reached every page's title."""
    run = summaries_cli(release, release["csv"], tmp_path / "out", "--force-name", name)
    assert run.returncode == 2, run.stderr
    assert "crime_mapper: error: the force name " in run.stderr
    assert f"character ({shown})" in run.stderr or f"line break ({shown})" in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


def test_an_overlong_force_name_is_refused_naming_the_limit(release: dict, tmp_path: Path):
    """A force name of any length went into every page's title and heading; the profile's
    limit (core.common.text_file.MAX_FORCE_NAME) is every force name's now."""
    name = ("Leicestershire Police " * 6).strip()  # 131 characters
    run = summaries_cli(release, release["csv"], tmp_path / "out", "--force-name", name)
    assert run.returncode == 2, run.stderr
    assert "crime_mapper: error: the force name " in run.stderr
    assert "is 131 characters long: a force's name is at most 120 characters" in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


@pytest.mark.parametrize(
    "name, text",
    [
        ("team.json", '{"E01013600": {"neighbourhood": {"name": "Abbey Park team"}}}'),
        ("team.csv", "code,kind,name\ne02002834,neighbourhood,Abbey Park team\n"),
    ],
)
def test_a_team_file_whose_codes_are_no_neighbourhoods_is_refused(
    release: dict, tmp_path: Path, name: str, text: str
):
    """An LSOA code, or an MSOA code in other capitals, where the outlines have MSOA codes:
    no page showed the team, and the summaries were published without one, exit 0."""
    team = tmp_path / name
    team.write_text(text, encoding="utf-8")
    run = summaries_cli(release, release["csv"], tmp_path / "out", team=team)
    assert run.returncode == 2, run.stderr
    assert (
        f"crime_mapper: error: {name}: none of its 1 neighbourhood codes is a neighbourhood's, "
        "so no page would show its team (e.g. "
    ) in run.stderr
    assert ("they match in other capitals" in run.stderr) == name.endswith(".csv")
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


def test_a_team_whose_code_is_no_neighbourhoods_is_warned_of(release: dict, tmp_path: Path):
    """The team of a code matching no neighbourhood (a typo) was left off every page with
    no word; the others' teams are published, and the warning names the code."""
    team = tmp_path / "team.json"
    team.write_text(
        '{"E02002834": {"neighbourhood": {"name": "Abbey Park team"}},'
        ' "E0200283": {"neighbourhood": {"name": "Typo team"}}}',
        encoding="utf-8",
    )
    run = summaries_cli(release, release["csv"], tmp_path / "out", team=team)
    assert run.returncode == 0, run.stderr
    assert (
        "crime_mapper: warning: team.json: 1 code is no neighbourhood's, so its team is on no "
        "page (e.g. E0200283)"
    ) in run.stderr
    pages = (tmp_path / "out" / "neighbourhoods").glob("*.html")
    assert any("Abbey Park team" in page.read_text("utf-8") for page in pages)
