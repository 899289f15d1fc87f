"""The lite TOML reader against tomllib on hostile text: it reads a configuration where QGIS's
Python has no tomllib (3.9 and 3.10 without tomli), so on any text it must give tomllib's
value exactly or refuse with TomlError, never a value tomllib would not give.

Why differential: the reader is meant to accept a subset, so "refuses what tomllib reads" is
allowed (inline tables, dates, multi-line strings) and "reads what tomllib refuses" is the
defect (``07`` read as 7, ``1__0`` as 10, a NUL in a comment ignored, a bare CR taken as a
line break). The mutations start from the real configurations the product ships.
"""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest
import tomllib

from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import example_config_text
from tests.support.monthly_config import SAMPLE

# Pieces a damaged or hostile configuration holds: quotes, escapes, line ends of every kind,
# control characters, number spellings TOML refuses, and the words of its other types.
_PIECES = (
    '"', "'", "\\", "\n", "\r", "\r\n", "#", "=", "[", "]", ",", " ", "\t", ".", "e", "E",
    "0", "1", "07", "-", "+", "_", "__", "x", "\x00", "\x01", "\x1f", "\x7f", "\u2028",
    "\ufeff", "é", "\\u", "\\U", "\\ud800", "\\U00110000", "\\x41", "inf", "nan", "true",
    '"""', "'''", "0x", "0o", "0b", ":", "{", "}", "1979-05-27",
)  # fmt: skip


def _outcome(read: Any, text: str) -> tuple[str, Any]:
    try:
        return "value", read(text)
    except (tomllib.TOMLDecodeError, toml_lite.TomlError) as exc:
        return "refused", type(exc).__name__


def _same(a: Any, b: Any) -> bool:
    """Equal values, NaN equal to NaN and a float never equal to an int (1.0 is not 1)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _agrees(text: str) -> bool:
    lite = _outcome(toml_lite.loads_lite, text)
    if lite[0] == "refused":
        return True  # (a subset: refusing is always allowed)
    full = _outcome(tomllib.loads, text)
    return full[0] == "value" and _same(lite[1], full[1])


def _mutated(rng: random.Random, text: str) -> str:
    """Up to 4 insertions, deletions or replacements; half of them at the start of a value,
    where a reader's number and string rules are tested, the rest anywhere."""
    chars = list(text)
    values = [m.end() for m in re.finditer(r"= ", text)] or [0]
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            at = min(rng.choice(values) + rng.randint(0, 2), len(chars))
        else:
            at = rng.randrange(len(chars) + 1)
        roll = rng.random()
        if roll < 0.45 or at == len(chars):
            chars.insert(at, rng.choice(_PIECES))
        elif roll < 0.75:
            del chars[at]
        else:
            chars[at] = rng.choice(_PIECES)
    return "".join(chars)


def _shipped_texts() -> list[str]:
    return [
        example_config_text(),
        (SAMPLE / "release.toml").read_text(encoding="utf-8"),
        'a = "x\\"y # no comment" # comment\nb = [1, 2.5,\n  true, \'c:\\\\d\',]\n'
        "c = -0\nd = 1_000\ne = 6.02e+2_3\n[t.u]\nf = 0.5\n",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a = 07\n", "a = +07\n", "a = 00.5\n", "a = 01.5\n", "a = 0_1\n", "a = [1, 07]\n",
        "a = 1__0\n", "a = _1\n", "a = 1_\n", "a = 1.5e_3\n", "a = 1._5\n",
        "# NUL \x00 in a comment\n", "a = 1 # \x01\n", "# DEL \x7f\n", "a = [\n# \x00\n1]\n",
        "# a bare CR \r ends nothing\n", "a = 1\rb = 2\n", "a = [\r1]\n",
        'a = "\x7f"\n', "a = '\x7f'\n", 'a = "\\ud800"\n', 'a = "\\U00110000"\n',
    ],
)  # fmt: skip
def test_the_lite_reader_refuses_what_tomllib_refuses(text):
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    with pytest.raises(toml_lite.TomlError):
        toml_lite.loads_lite(text)


@pytest.mark.parametrize(
    "text",
    [
        "a = -0\n", "a = 0\n", "a = 1_000\n", "a = 0.0\n", "a = -0.5e-0_1\n", "a = 1E3\n",
        "a = 0e0\n", "# CRLF comment\r\na = 1\r\n", "a = [\r\n1,\r\n2]\r\n", "#\ttab\n",
        'a = "\\U0001F600 \\u00e9"\n', "a = 'é'\n",
    ],
)  # fmt: skip
def test_the_lite_reader_reads_valid_spellings_as_tomllib_does(text):
    assert _same(toml_lite.loads_lite(text), tomllib.loads(text))


def _disagreements(seed: int, runs: int) -> list[str]:
    rng = random.Random(seed)
    sources = _shipped_texts()
    texts = (_mutated(rng, rng.choice(sources)) for _ in range(runs))
    return [text for text in texts if not _agrees(text)]


@pytest.mark.parametrize("seed", range(6))
def test_mutated_configurations_read_as_tomllib_reads_them_or_not_at_all(seed):
    found = _disagreements(seed, 1500)
    assert not found, [text[:200] for text in found[:3]]


def test_the_fuzz_finds_a_reader_as_lax_as_the_old_one(monkeypatch):
    """Not vacuous: with the integer spelling Python's int() accepts (the reader's old rule,
    which read ``07`` as 7), the same mutations find disagreements."""
    monkeypatch.setattr(toml_lite, "_INTEGER", re.compile(r"[+-]?[0-9][0-9_]*"))
    assert _disagreements(0, 1500)
