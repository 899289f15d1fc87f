"""The web map's point positions and per-point numbers read back from a data script, by
decoders written here from the formats' descriptions (core/common/position_codec.py's and
letter_digits.py's docstrings) one character at a time, not by the codecs under test: the
tests compare what the page holds with the release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np


def decode_naturals(text: str) -> list[int]:
    """The whole numbers of letter_digits' letters, in order."""
    values, z, scale = [], 0, 1
    for ch in text:
        if "a" <= ch <= "z":
            z += (ord(ch) - ord("a")) * scale
            scale *= 26
            continue
        assert "A" <= ch <= "Z", ch
        values.append(z + (ord(ch) - ord("A")) * scale)
        z, scale = 0, 1
    assert scale == 1
    return values


def decode_letters(text: str) -> list[tuple[float, float]]:
    """(lon, lat) of each point, in order: the letters' numbers, zigzag-mapped back to
    steps in micro-degrees, summed axis by axis."""
    steps = [z // 2 if z % 2 == 0 else -(z + 1) // 2 for z in decode_naturals(text)]
    assert len(steps) % 2 == 0
    out, x, y = [], 0, 0
    for i in range(0, len(steps), 2):
        x += steps[i]
        y += steps[i + 1]
        out.append((x / 1e6, y / 1e6))
    return out


def page_numbers(data: dict, key: str) -> list[int]:
    """A per-point or per-entry array of a points.js's data (point_n, entry_count...)."""
    field = data[key]
    assert field["encoding"] == "naturals-base26", field
    return decode_naturals(field["values"])


def page_data(folder: Path, name: str = "points.js") -> dict:
    """The JSON of a data script (``window.NAME = {...};``) in ``folder``/data."""
    text = (folder / "data" / name).read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :].rstrip().rstrip(";"))


def page_positions(data: dict) -> list[tuple[float, float]]:
    """The points' (lon, lat) of a points.js's data, in the points' order."""
    assert data["points"]["encoding"] == "lonlat-e6-delta-base26"
    return decode_letters(data["points"]["coordinates"])


def site_with_positions(webmap: Path, tmp_path: Path, positions: list) -> Path:
    """A copy of the ``webmap`` folder (at ``tmp_path``/map) whose points.js holds
    ``positions`` ((lon, lat) pairs) in place of its own, written by the codec's encoder."""
    from crime_mapper.core.common.position_codec import encode_positions

    lon, lat = np.array(positions, dtype=np.float64).reshape(-1, 2).T
    site = tmp_path / "map"
    shutil.copytree(webmap, site)
    js = site / "data" / "points.js"
    text = js.read_text(encoding="utf-8")
    old = f'"coordinates":"{page_data(webmap)["points"]["coordinates"]}"'
    assert text.count(old) == 1
    js.write_text(text.replace(old, f'"coordinates":"{encode_positions(lon, lat)}"'), "utf-8")
    return site
