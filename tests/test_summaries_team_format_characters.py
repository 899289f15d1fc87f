"""A team text's format characters (a right-to-left override, a zero-width space) are taken
out as every other published text's are (text_file.page_text). Why: the leak gate reads a
page's text without them, in the order it is written, and the browser showed the text after
an override reversed: a raw value written backwards after one was checked as written and
shown the right way round. Real release, the plain-Python command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.summaries_release import make_release, summaries_cli

RLO, ZWSP, PDF = "\u202e", "\u200b", "\u202c"


def test_no_team_text_reaches_a_page_with_a_format_character(tmp_path: Path):
    team = tmp_path / "team.json"
    team.write_text(
        json.dumps(
            {
                "E02002834": {
                    "neighbourhood": {
                        "name": f"Abbey Park {RLO}maet{PDF}",
                        "description": f"<p>Patrols by {RLO}kawoN 0911 CP{PDF} daily</p>",
                    },
                    "people": [{"name": f"Jo{ZWSP} Bloggs", "rank": f"{RLO}tgS"}],
                    "priorities": [
                        {"issue": f"Parking{ZWSP} near schools", "issue-date": "2022-10-01"}
                    ],
                }
            }
        ),
        encoding="utf-8",
    )
    release = make_release(tmp_path / "release")
    run = summaries_cli(release, release["csv"], tmp_path / "out", team=team)
    assert run.returncode == 0, run.stderr
    pages = {
        p.name: p.read_text("utf-8") for p in (tmp_path / "out" / "neighbourhoods").glob("*.html")
    }
    page = next(text for text in pages.values() if "Abbey Park maet" in text)
    for char in (RLO, ZWSP, PDF):
        assert not [name for name, text in pages.items() if char in text]
    assert "Patrols by kawoN 0911 CP daily" in page  # (as the gate read it: written order)
    assert "Jo Bloggs" in page and "Parking near schools" in page
