"""The search for format characters (core.common.text_file: FORMAT_CHARACTERS, and the table
of every code point long texts are looked up in) finds exactly the same characters both
ways, so a long page's text is shown and gated as the regular expression reads it.

Why a table: a summaries page's 17 KB of text took the expression 0.3 ms, one character at
a time through its class; the national summaries' gate reads 7,200 pages (0.54 s of it).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from crime_mapper.core.common import text_file
from crime_mapper.core.common.text_file import (
    FORMAT_CHARACTERS,
    holds_format_character,
    page_text,
)


def test_the_table_holds_exactly_the_expressions_characters() -> None:
    """Every code point, surrogates included: in the table exactly when the expression
    matches it."""
    table = text_file._format_table()
    matched = np.array(
        [FORMAT_CHARACTERS.match(chr(cp)) is not None for cp in range(0x110000)], dtype=bool
    )
    assert np.array_equal(table, matched)
    assert 150 < int(matched.sum()) < 200  # (Unicode's format characters, some 160)


FORMATS = ["\u00ad", "\u200b", "\u202e", "\u2066", "\ufeff", "\U000110bd", "\U000e0041"]
OTHERS = ["é", "–", "·", "£", "\u3000", "\U0001f600", "\ud800", "\x00", "\u0605x"]


@pytest.mark.parametrize("seed", range(30))
def test_long_texts_read_as_the_expression_reads_them(seed: int) -> None:
    """Texts on both sides of the table's length, of ASCII and other characters, with and
    without format characters (astral ones, one at either end, a lone surrogate beside)."""
    rng = random.Random(seed)
    n = rng.choice([1, 50, text_file._TABLE_FROM - 1, text_file._TABLE_FROM, 20_000])
    pool = list("abc ,.<>0129") * 20 + OTHERS
    chars = [rng.choice(pool) for _ in range(n)]
    if seed % 3:
        for _ in range(rng.randint(1, 3)):
            chars.insert(
                rng.choice([0, len(chars), rng.randint(0, len(chars))]), rng.choice(FORMATS)
            )
    text = "".join(chars)
    assert holds_format_character(text) is (FORMAT_CHARACTERS.search(text) is not None)
    assert page_text(text) == FORMAT_CHARACTERS.sub("", text)


def test_ascii_and_plain_long_texts_are_kept_as_they_are() -> None:
    long_plain = "On or near High Street – £12 · café " * 100
    assert len(long_plain) >= text_file._TABLE_FROM
    assert page_text(long_plain) is long_plain
    assert page_text("x" * 50_000) == "x" * 50_000
    assert page_text(long_plain + "\u202e") == long_plain
