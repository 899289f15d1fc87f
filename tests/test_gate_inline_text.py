"""Text of one block a browser lays out as one line across inline elements, read by the leak
gate (found by a hostile-input review): a raw value split at a word boundary across inline
markup ("Seen by Gareth<b> Llewellyn</b>") passed, as no text node held it and only a split
inside a token was joined. The neighbourhood summaries publish team texts that may hold such
markup (summaries_team.ALLOWED_TAGS): an analyst pasting raw notes into a team priority must
be caught. Text of two blocks (paragraphs, list items) is never joined without a space.

Real raw extract, map points and release (tests/support/leak_world) and its real web map (the
``gated_webmap`` fixture); real summaries of the bundled force extract's release
(tests/support/summaries_release), exported through the gate with a team's priorities.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import copy_folder, failed, raw_row


def _values(world: dict) -> dict[str, tuple[str, str]]:
    """{kind: (a raw value, the check it must fail)}."""
    row = raw_row(world)
    return {
        "name": (str(row["extra_victim_name"]), "no_non_public_values"),
        "note": (" ".join(str(row["extra_mo_notes"]).split()), "no_non_public_values"),
        "reference": (str(row["crime_id"]), "no_source_references"),
    }


def _ways(value: str) -> dict[str, str]:
    """The value in a paragraph or list item, cut into inline elements at its word
    boundaries: before each space, after each "/" ("LP/" "20003/" "22")."""
    p = re.split(r"(?= )|(?<=/)", value)
    assert len(p) > 1, value
    middle = len(p) // 2
    head, tail = "".join(p[:middle]), "".join(p[middle:])
    return {
        "bold": f"<p>Seen by {p[0]}<b>{''.join(p[1:])}</b></p>",
        "strong first": f"<p><strong>{p[0]}</strong>{''.join(p[1:])}.</p>",
        "link": f"<p><a href='https://example.org/x'>{head}</a>{tail}</p>",
        "span": f"<p><span class='a'>{head}</span><span class='b'>{tail}</span></p>",
        "nested": f"<li><em>{p[0]}<i><a href='#x'>{p[1]}</a></i></em>"
        f"<small><mark>{''.join(p[2:])}</mark></small></li>",
        "every piece its own element": "<p>"
        + "".join(f"<{t}>{w}</{t}>" for t, w in zip(["b", "i", "u", "code", "sup"] * 99, p))
        + "</p>",
    }


_WAYS = list(_ways("Ab Cd/Ef"))


@pytest.mark.parametrize("kind", ["name", "note", "reference"])
@pytest.mark.parametrize("way", _WAYS)
def test_a_raw_value_split_across_inline_elements_fails_naming_the_page(
    world, gated_webmap, tmp_path, way, kind
):
    value, check = _values(world)[kind]
    site = copy_folder(gated_webmap, tmp_path)
    page = site / "index.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", _ways(value)[way] + "</body>", 1), encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert check in failed(report), (way, report.message())
    assert "index.html" in report.message()
    shutil.rmtree(site)


@pytest.mark.parametrize("way", _WAYS)
def test_the_value_is_read_as_a_browser_shows_it_on_both_reads(way):
    value = "Gareth Llewellyn was seen"
    for fast in (True, False):
        art = output_reader.Artifact(name="page.html", kind="html")
        output_reader._read_html(art, _ways(value)[way], "page.html", fast=fast)
        assert any(value in line for line in art.texts[-1].split("\n")), (way, fast, art.texts)


@pytest.mark.parametrize(
    "page",
    [
        "<p>Gareth</p><p>Llewellyn</p>",
        "<ul><li>Gareth</li><li><b>Llewellyn</b></li></ul>",
        "<p><b>Gareth</b></p>\n<p><b>Llewellyn</b></p>",
        "<div><span>Gareth</span><div>Llewellyn</div></div>",
        "<td><i>Gareth</i></td><td><i>Llewellyn</i></td>",
        "<p>Gareth<br><b>Llewellyn</b></p>",
    ],
)
def test_text_of_two_blocks_is_not_joined(page):
    """Words of two paragraphs, list items or cells (or two lines) are never read as one."""
    for fast in (True, False):
        art = output_reader.Artifact(name="page.html", kind="html")
        output_reader._read_html(art, page, "page.html", fast=fast)
        read = "\n".join(art.texts) + "\n".join(art.strings)
        assert "GarethLlewellyn" not in read and "Gareth Llewellyn" not in read, (page, fast)


def test_our_web_map_export_passes_with_its_lines_read(world, gated_webmap: Path):
    report = check_release(world["raw"], gated_webmap, world["points"])
    assert report.passed, report.message()


# --- the neighbourhood summaries: a team's priority with markup ----------------------------------
@pytest.fixture(scope="module")
def summaries_world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.publish.summaries_run import load_neighbourhoods, read_release
    from crime_mapper.core.release.map_points_files import read_map_points_file
    from tests.support.summaries_release import (
        FORCE_EXTRACT,
        FORCE_PROFILE,
        make_release,
        msoa_source,
    )

    release = make_release(tmp_path_factory.mktemp("summaries_inline"))
    raw = load_extracts([str(FORCE_EXTRACT)], profile=load_profile(FORCE_PROFILE)).crimes
    points = read_map_points_file(release["points"])
    row = raw[raw["extra_officer_in_case"].str.contains(" ", na=False)].iloc[0]
    return {
        "raw": raw,
        "points": points,
        "hoods": load_neighbourhoods(msoa_source()),
        "public": read_release(release["csv"]),
        # {kind: (a raw value, the check it must fail)}
        "values": {
            "officer": (str(row["extra_officer_in_case"]), "no_non_public_values"),
            "reference": (str(row["crime_id"]), "no_source_references"),
        },
    }


def _export_with_priority(world: dict, out: Path, action: str) -> str:
    """The gate's message of a summaries export whose first neighbourhood's team has one
    priority, ``action`` its text (team markup), or "refused: ..."."""
    from crime_mapper.core.publish.summaries_export import (
        SummaryGateError,
        export_summaries,
        leak_gate_for,
    )
    from crime_mapper.core.publish.summaries_team import team_from_api

    code = world["hoods"].codes[0]
    team = team_from_api({"priorities": [{"issue": "Parking near schools", "action": action}]})
    try:
        return export_summaries(
            world["public"],
            world["hoods"],
            out,
            gate=leak_gate_for(world["raw"], world["points"]),
            teams={code: team},
        ).gate_message
    except SummaryGateError as exc:
        return "refused: " + str(exc)


def _team_ways(value: str) -> dict[str, str]:
    """The value cut at its word boundaries by a team text's markup
    (summaries_team.ALLOWED_TAGS)."""
    p = re.split(r"(?= )|(?<=/)", value)
    link = "a href='https://example.org/p'"
    return {
        "bold every other word": "".join(f"<b>{w}</b>" if k % 2 else w for k, w in enumerate(p)),
        "each word emphasised": "".join(
            f"<{t}>{w}</{t.split()[0]}>" for t, w in zip(["em", "strong", "i", link] * 99, p)
        ),
        "nested": "<p>"
        + "".join(
            f"<strong>{p[k]}<em>{''.join(p[k + 1 : k + 2])}<{link}>{''.join(p[k + 2 : k + 3])}"
            "</a></em></strong>"
            for k in range(0, len(p), 3)
        )
        + "</p>",
    }


@pytest.mark.parametrize("kind", ["officer", "reference"])
@pytest.mark.parametrize("way", list(_team_ways("Ab Cd/Ef")))
def test_a_raw_value_split_by_a_team_priority_markup_is_refused(
    summaries_world, tmp_path, way, kind
):
    value, check = summaries_world["values"][kind]
    message = _export_with_priority(summaries_world, tmp_path / "out", _team_ways(value)[way])
    assert message.startswith("refused: "), message
    assert check in message and ".html" in message, message


def test_a_team_priority_with_markup_and_nothing_raw_passes(summaries_world, tmp_path):
    action = "We <b>will</b> patrol <em>near the</em> <a href='https://example.org'>schools</a>."
    message = _export_with_priority(summaries_world, tmp_path / "out", action)
    assert not message.startswith("refused"), message
