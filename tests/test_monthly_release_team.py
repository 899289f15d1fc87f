"""The monthly release's summaries with the neighbourhood teams' information and the
similar-neighbourhood families (publish.team, publish.families).

Why: the summaries command took a team file (``--team``) and a families file
(``--families``), but the one-command month, which is how a force publishes, had no key for
either: its pages always said that no team information was published, so the public could
not learn what their neighbourhood team is tackling from a release made the usual way. The
files are read before anything runs, so a fault in one refuses the release at once instead
of after the load and the anonymise step. Real command line, the bundled sample month.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from crime_mapper.core.monthly.config import (
    PublishConfig,
    ReleaseConfig,
    config_text,
    read_config,
    write_config,
)
from tests.support.monthly_config import MONTH, SAMPLE, cli, config_file

TEAMS = SAMPLE / "teams" / "leicester-city-teams.json"
CITY_CENTRE = "E02006851"
NO_TEAM = "No team information was published"


def _page(out: Path, code: str) -> str:
    """The summary page of neighbourhood ``code`` (the index links each page by name)."""
    for page in (out / "neighbourhoods").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        if page.name != "index.html" and f"Neighbourhood code {code}" in text:
            return text
    raise AssertionError(f"no page for {code}")


def _families(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "families.csv"
    path.write_text("code,family\n" + "".join(f"{c},{f}\n" for c, f in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """The bundled month (its team file) with families of three neighbourhoods, released
    with the summaries only (no web map, hotspots or project: they do not read either)."""
    tmp = tmp_path_factory.mktemp("team")
    families = _families(
        tmp,
        [(CITY_CENTRE, "centre"), ("E02002849", "centre"), ("E02002836", "centre")],
    )
    path = config_file(tmp, publish__families=str(families))
    config = read_config(path)
    config.hotspots.enabled = False
    config.qa.enabled = False
    config.publish.web_map = False
    config.publish.project = False
    write_config(config, path)
    run = cli("release", path, "--month", MONTH)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return tmp / "out" / MONTH


def test_the_pages_show_the_team_of_their_neighbourhood(released):
    page = _page(released, CITY_CENTRE)
    assert "City Centre neighbourhood team" in page
    assert "Shoplifting from stores on the high streets" in page
    assert "Bike marking" in page and "Town Hall Square" in page
    assert NO_TEAM not in page
    # a neighbourhood the file leaves out says so: its own team, not every team
    assert f"{NO_TEAM} for this neighbourhood." in _page(released, "E02002827")


def test_the_pages_compare_a_neighbourhood_with_its_family(released):
    page = _page(released, CITY_CENTRE)
    similar = page.split("<p>Similar neighbourhoods:", 1)[1].split("</p>", 1)[0]
    assert "West End" in similar and "Belgrave South" in similar
    assert similar.count("<a href=") == 2  # (the family's other two, and no other)
    # and the note on how they were chosen says so (it said "the closest in population
    # density and in the mix of crime types" whatever the choice)
    assert "the others of the same family in the force&#39;s own grouping" in page
    assert "closest in population density" not in page
    # (one in no family has no similar neighbourhoods, as the release's warnings say)
    assert "<p>Similar neighbourhoods:" not in _page(released, "E02002827")


def test_the_manifest_records_the_files(released):
    manifest = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    publish = manifest["configuration"]["settings"]["publish"]
    assert Path(publish["team"]).name == TEAMS.name
    assert Path(publish["families"]).name == "families.csv"
    # and fingerprinted as every input is (the publish step's files were not: the pages
    # could not be traced to the outlines, populations or team file they were made from)
    read = manifest["inputs"]["publish"]
    data = TEAMS.read_bytes()
    assert read["team"] == {
        "name": TEAMS.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    assert read["families"]["name"] == "families.csv"
    assert sorted(read["neighbourhoods"]) == ["boundaries", "lookup", "lsoa_population", "names"]
    assert read["neighbourhoods"]["boundaries"]["name"] == "msoa11_leicester_city.geojson"
    assert [f["name"] for f in read["summaries_history"]] == [
        "2022-09-leicestershire-street.csv",
        "leicester-city-2021-10-to-2022-08.zip",
    ]
    assert "qa" not in manifest["inputs"]  # (no release QA in this release)


@pytest.mark.parametrize(
    ("key", "content", "said"),
    [
        ("team", '{"E02006851": {"priorites": []}}', "priorites"),
        ("team", "{not json", "leicester-city-teams.json"),
        ("team", "{}", "leicester-city-teams.json"),
        ("families", "code,family\nE02006851,a\nE02006851,b\n", "more than one family"),
        ("families", "code,group\nE02006851,a\n", "needs the columns code and family"),
    ],
    ids=["team-typo", "team-not-json", "team-empty", "families-twice", "families-header"],
)
def test_a_faulty_file_refuses_the_release_before_anything_runs(tmp_path, key, content, said):
    name = "leicester-city-teams.json" if key == "team" else "families.csv"
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    run = cli("release", config_file(tmp_path, **{f"publish__{key}": str(path)}), "--month", MONTH)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert said in run.stderr and f"(publish.{key})" in run.stderr, run.stderr
    assert "check" in run.stderr
    assert not (tmp_path / "out").exists()  # (nothing loaded, nothing written)


def test_a_faulty_file_is_not_read_when_no_summaries_are_made(tmp_path):
    """The web map does not show team information: a release without summaries runs."""
    bad = tmp_path / "team.json"
    bad.write_text("{not json", encoding="utf-8")
    config = read_config(config_file(tmp_path, publish__team=str(bad)))
    config.publish.summaries = False
    from crime_mapper.core.monthly.release import summaries_file_problems

    assert summaries_file_problems(config, MONTH) == []
    config.publish.summaries = True
    assert summaries_file_problems(config, MONTH)


def test_a_missing_file_is_a_problem_of_the_publish_step(tmp_path):
    config = ReleaseConfig(
        inputs=[],
        salt_file="",
        output="out/{month}",
        base_dir=tmp_path,
        publish=PublishConfig(summaries=True, team="teams/{month}.json", families="f.csv"),
    )
    found = config.problems_by_step(MONTH)["publish"]
    assert f"Team information not found: {tmp_path / 'teams' / '2022-10.json'} (publish.team)" in (
        found
    )
    assert f"Families file not found: {tmp_path / 'f.csv'} (publish.families)" in found


def test_the_keys_round_trip_and_are_in_the_example(tmp_path):
    config = ReleaseConfig(
        inputs=["a.csv"],
        salt_file="s.salt",
        output="out",
        base_dir=tmp_path,
        publish=PublishConfig(summaries=True, team="teams.json", families="families.csv"),
    )
    for name in ("c.toml", "c.json"):
        again = read_config(write_config(config, tmp_path / name))
        assert (again.publish.team, again.publish.families) == ("teams.json", "families.csv")
    text = config_text(ReleaseConfig(inputs=[], salt_file="", output=""))
    assert 'team = ""' in text and 'families = ""' in text
    assert "team: the neighbourhood" in text


def _release_with_team(tmp_path: Path, issue: str) -> tuple[object, Path]:
    """The bundled month, summaries only, with the Aylestone team's first priority
    ``issue``."""
    team = json.loads(TEAMS.read_text(encoding="utf-8"))
    team["E02002857"]["priorities"][0]["issue"] = f"<p>{issue}</p>"
    path = tmp_path / "team.json"
    path.write_text(json.dumps(team), encoding="utf-8")
    config_path = config_file(tmp_path, publish__team=str(path))
    config = read_config(config_path)
    config.hotspots.enabled = config.qa.enabled = False
    config.publish.web_map = config.publish.project = False
    write_config(config, config_path)
    return cli("release", config_path, "--month", MONTH), tmp_path / "out" / MONTH


def test_a_team_may_name_an_offence_as_the_home_office_does(tmp_path):
    """ "Public order offences" is in the sample extract's (non-public) offence column and in
    the bundled offence table: the gate refused the team's priority as a raw value inside
    text. A name of the published classification a team writes is public on its pages."""
    run, out = _release_with_team(tmp_path, "Public order offences near the retail park.")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Public order offences near the retail park." in _page(out, "E02002857")


def test_a_raw_note_in_a_team_text_is_still_refused(tmp_path):
    import pandas as pd

    raw = pd.read_csv(SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv", dtype=str)
    note = next(n for n in raw["MO Notes"].dropna() if len(n.split()) >= 6)
    run, out = _release_with_team(tmp_path, note)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "no_non_public_values" in run.stderr and note not in run.stderr, run.stderr
    assert not (out / "neighbourhoods").exists()


def test_team_vocabulary_takes_whole_published_names_only():
    from crime_mapper.core.publish.summaries_team import Team, team_vocabulary

    def words(text: str) -> list[str]:
        return team_vocabulary({"E1": Team(name="Team", priorities=[
            {"issue": text, "issue_month": "", "action": "", "action_month": ""}
        ])})  # fmt: skip

    assert words("Tackling PUBLIC ORDER OFFENCES and Affray.") == [
        "Affray",
        "Public order",
        "Public order offences",
    ]
    assert words("Grapes stolen from allotments; 8N and 105A") == []  # (no "Rape"; codes)
    assert words("Theft of garden ornaments") == []  # (no name of the table)
