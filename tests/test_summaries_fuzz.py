"""Hostile input for the files the summaries read: mutated GeoJSON, lookups, population and
team files give a clear NeighbourhoodError/TeamError or a usable result, never another
exception, and never a value that silently changed."""

from __future__ import annotations

import json
import random
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.publish import neighbourhoods as nb
from crime_mapper.core.publish.summaries_team import (
    ALLOWED_TAGS,
    TeamError,
    read_team,
    sanitise_html,
)
from tests.support.summaries_release import HOODS, POPULATION, TEAM

SEEDS = range(60)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        choice = rng.random()
        pos = rng.randrange(len(buf)) if buf else 0
        if choice < 0.4 and buf:
            buf[pos] = rng.randrange(256)
        elif choice < 0.7:
            buf[pos:pos] = rng.choice([b"\x00", b'"', b",", b"\n", b"{", b"]", b"\xff\xfe", b"NaN"])
        elif buf:
            del buf[pos : pos + rng.randint(1, 50)]
    return bytes(buf)


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_geojson(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    source = (HOODS / "msoa11_leicestershire.geojson").read_bytes()[:20000]
    # keep it a complete document most of the time: mutate a small valid collection
    data = json.loads((HOODS / "msoa11_leicestershire.geojson").read_text())
    data["features"] = data["features"][:3]
    text = json.dumps(data).encode() if seed % 2 else source
    path = tmp_path / "hoods.geojson"
    path.write_bytes(_mutate(text, rng))
    try:
        hoods = nb.read_geojson(path, "msoa11cd")
    except nb.NeighbourhoodError:
        return
    for rings in hoods.rings:
        for ring in rings:
            assert np.isfinite(ring).all() and np.array_equal(ring[0], ring[-1])
    nb.points_in_neighbourhoods(np.array([-1.13]), np.array([52.63]), hoods)


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_lookup_and_population(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lookup = tmp_path / "lookup.csv"
    lookup.write_bytes(
        _mutate((HOODS / "lsoa11_to_msoa11_leicestershire.csv").read_bytes()[:4000], rng)
    )
    pop = tmp_path / "pop.csv"
    pop.write_bytes(_mutate(POPULATION.read_bytes()[:4000], rng))
    try:
        found = nb.read_lookup(lookup, "msoa11cd", "msoa11nm")
        people = nb.read_lsoa_population(pop)
    except nb.NeighbourhoodError:
        return
    assert all(v >= 0 and np.isfinite(v) for v in people.values())
    try:
        hoods = nb.build_neighbourhoods(lookup=found, lsoa_population=people)
    except nb.NeighbourhoodError:
        return
    pops = hoods.population[np.isfinite(hoods.population)]
    assert (pops >= 0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_team_json(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "team.json"
    path.write_bytes(_mutate(TEAM.read_bytes(), rng))
    try:
        teams = read_team(path)
    except TeamError:
        return
    for team in teams.values():
        texts = [str(team.description)] + [str(p["issue"]) for p in team.priorities]
        for text in texts:
            _assert_harmless(text)


def test_sanitiser_fuzz() -> None:
    rng = random.Random(7)
    pieces = ["<", ">", "/", "script", "a href=", "javascript:", "onerror=", '"', "'", "&",
              "<p>", "</p>", "<b>", "<!--", "-->", "<![CDATA[", "\x00", "é", " "]  # fmt: skip
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        _assert_harmless(str(sanitise_html(text)))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_comment(self, data):
        self.other.append("comment")

    def handle_decl(self, decl):
        self.other.append("declaration")

    def unknown_decl(self, data):
        self.other.append("declaration")

    def handle_pi(self, data):
        self.other.append("processing instruction")


def _assert_harmless(html_text: str) -> None:
    """Parsed as a browser would: only the allowed tags, only href (http/https/mailto/tel)
    and rel attributes, nothing else (so no event handler, script or javascript: link)."""
    parser = _Tags()
    parser.feed(html_text)
    parser.close()
    assert not parser.other, parser.other
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ("href", "rel"), (tag, name)
            if name == "href":
                assert value.lower().startswith(("http://", "https://", "mailto:", "tel:"))
