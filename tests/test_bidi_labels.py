"""A bidi control in a location label ("On or near <RLO>daor hgih") neither spoofs the label
nor reorders the text around it, on the web map or on the neighbourhood summary pages.

Why: the web map put the label into its data as written and the summary page into its
list of top locations, so a right-to-left override (U+202E) showed "high road" and
reversed the rest of its line (the area's name, ": 49 crimes"), while the leak gate reads
a page's text as shown without format characters ("daor hgih"). Both pages now show a
label as the gate reads it (core.common.text_file.page_text: every format character,
each bidi control among them, taken out), and the summary page isolates each label
(<bdi>), so right-to-left letters in one cannot reorder its line either. The CSVs keep the
label as published (the map's download is the CSV as given).

Real files: the bundled Northumbria month and the synthetic Leicestershire release, their
labels changed; the real command line. A plain data and HTML test: the characters either
reach the page or do not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper.core.common.text_file import FORMAT_CHARACTERS, page_text
from tests.support.page_positions import page_data
from tests.support.plain_cli import plain_cli

STREET = Path(__file__).resolve().parents[1] / "sample_data/police-uk/2022-07/"
STREET = STREET / "2022-07-northumbria-street.csv"
#: every bidi control: LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_every_bidi_control_is_a_format_character_taken_out():
    assert all(FORMAT_CHARACTERS.fullmatch(c) for c in BIDI)
    assert page_text(f"On or near \u202edaor hgih{BIDI}") == "On or near daor hgih"
    assert page_text("On or near High Street") == "On or near High Street"


def _spoofed(tmp_path: Path) -> tuple[Path, list[str]]:
    """The month with its first three labels given a bidi control each, and those labels
    as the gate reads them."""
    lines = STREET.read_text(encoding="utf-8").split("\n")
    done, shown = 0, []
    for i, line in enumerate(lines[1:], 1):
        if done < 3 and "On or near " in line and "On or near ," not in line:
            street = line.split("On or near ", 1)[1].split(",", 1)[0]
            spoof = ["\u202e" + street[::-1], "\u2067" + street + "\u2069", street + "\u200f"]
            lines[i] = line.replace(f"On or near {street},", f"On or near {spoof[done]},", 1)
            shown.append(street[::-1] if done == 0 else street)
            done += 1
    path = tmp_path / "in" / STREET.name
    path.parent.mkdir()
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, shown


def test_the_web_map_shows_a_label_as_the_gate_reads_it(tmp_path):
    path, shown = _spoofed(tmp_path)
    done = plain_cli("webmap", path, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    map_folder = tmp_path / "out" / "map"
    labels = page_data(map_folder)["labels"]
    assert not any(FORMAT_CHARACTERS.search(label) for label in labels), labels
    published = path.read_text(encoding="utf-8")
    assert "\u202e" in published  # (the CSV as given)
    assert set(shown) <= set(labels), shown  # ("daor hgih": what the gate read)
    script = (map_folder / "data" / "points.js").read_text(encoding="utf-8")
    assert not FORMAT_CHARACTERS.search(script)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    from tests.support.summaries_release import make_release

    return make_release(tmp_path_factory.mktemp("bidi_release"))


def test_a_summary_page_shows_a_label_as_the_gate_reads_it_isolated(tmp_path, release):
    from tests.support.summaries_release import summaries_cli

    text = release["csv"].read_text(encoding="utf-8")
    street = "East Gates"  # (in a neighbourhood's top locations)
    assert f",On or near {street}," in text
    spoofed = tmp_path / release["csv"].name
    spoofed.write_text(
        text.replace(f",On or near {street},", f",On or near \u202e{street[::-1]},"),
        encoding="utf-8",
        newline="",
    )
    done = summaries_cli(release, spoofed, tmp_path / "out")
    assert done.returncode == 0, done.stderr[-3000:]
    pages = list((tmp_path / "out" / "neighbourhoods").glob("*.html"))
    shown = [p.read_text(encoding="utf-8") for p in pages]
    assert not any(FORMAT_CHARACTERS.search(page) for page in shown)
    item = f"<li><bdi>On or near {street[::-1]}</bdi>: "
    assert any(item in page for page in shown)
    assert all("<li>On or near" not in page for page in shown)  # (every label isolated)
