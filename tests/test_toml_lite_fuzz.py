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


# --- random documents of the subset: the same value as tomllib, or both refuse -----------
#
# The mutations above may leave the subset (a mutation that makes a multi-line string or an
# inline table is refused here and read by tomllib, which is allowed). These documents stay
# inside it: keys bare, quoted and dotted, headers, every number spelling TOML has (and
# near-misses), strings, booleans and arrays. On them the reader must agree with tomllib
# both ways: `a.b = 1` then `[a]` was read as one table where tomllib refuses to define `a`
# twice, and 0x10, 0o17, 0b101, inf and nan were refused where tomllib reads them.

_KEYS = ("a", "b", "c", '"a"', "'b'", '"a.b"', '""', "1", "-_", '"é"', "A", "a b", '"\\u0041"')
_NUMBERS = (
    "0", "1", "-1", "+1", "1_000", "0x10", "0xdead_BEEF", "0o17", "0b101", "0x", "0o8", "0b2",
    "-0x1", "+0o7", "0X10", "0x_1", "0b1_", "00", "07", "0x" + "f" * 20, "0o0", "0b0", "1.5",
    "-0.0", "1e3", "1E+3", "inf", "-inf", "+nan", "nan", "1.", ".5", "1e", "3.14_15",
    "Infinity", "NaN", "+inf", "-nan", "9" * 25, "1e400", "0.1e-400", "0e0", "-0", "0x00",
    "1__0", "_1", "1e_1", "0x1.5", "+-1", "1e+",
)  # fmt: skip
_STRINGS = (
    '"x"', "'x'", '"a\\tb"', '"\\u00e9"', "'c:\\d'", '""', "''", '"\\x41"', '"q\\"q"', '"\\e"',
    '"\\U0001F600"', '"\\ud800"', '"a\tb"', '"\x7f"', '"x', "'x", '"\\/"',
)  # fmt: skip
_WORDS = ("true", "false", "True", "tru")


def _random_value(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if roll < 0.5 or (roll >= 0.8 and depth > 1):
        return rng.choice(_NUMBERS)
    if roll < 0.7:
        return rng.choice(_STRINGS)
    if roll < 0.8:
        return rng.choice(_WORDS)
    items = [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    tail = rng.choice(["", ",", "\n"]) if items else ""
    return "[" + rng.choice([", ", ",\n  ", ","]).join(items) + tail + "]"


def _random_key(rng: random.Random) -> str:
    parts = [rng.choice(_KEYS) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
    return rng.choice([".", " . "]).join(parts)


def _random_document(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 6)):
        roll = rng.random()
        if roll < 0.3:
            lines.append(rng.choice(["[", "[ "]) + _random_key(rng) + rng.choice(["]", " ]"]))
        elif roll < 0.95:
            equals = rng.choice([" = ", "=", "\t=\t"])
            comment = rng.choice(["", " # c"])
            lines.append(_random_key(rng) + equals + _random_value(rng) + comment)
        else:
            lines.append(rng.choice(["", "# comment", "   "]))
    text = "\n".join(lines) + rng.choice(["\n", ""])
    return text.replace("\n", "\r\n") if rng.random() < 0.2 else text


def _strict_disagreements(seed: int, runs: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(runs):
        text = _random_document(rng)
        lite, full = _outcome(toml_lite.loads_lite, text), _outcome(tomllib.loads, text)
        if lite[0] != full[0] or (lite[0] == "value" and not _same(lite[1], full[1])):
            found.append(text)
    return found


@pytest.mark.parametrize("seed", range(3))
def test_random_documents_read_exactly_as_tomllib_reads_them(seed):
    found = _strict_disagreements(seed, 4000)
    assert not found, [text[:200] for text in found[:3]]


@pytest.mark.parametrize(
    "text",
    [
        "a.b = 1\n[a]\n", "[t]\na.b = 1\n[t.a]\n", "[a]\nb.c = 1\n[a.b]\n",
        "[a.b]\nc = 1\n[a]\nb.d = 2\n", "a = [1]\n[a]\n", "a = [1]\na.b = 1\n",
        "a = [1]\n[a.b]\n", "a = 1\n[a]\n", "[a]\n[a]\n", "a.b = 1\n[x]\n[a.b]\n",
        "a = 0X10\n", "a = -0x1\n", "a = 0x_1\n", "a = 0b2\n", "a = 0o8\n", "a = Infinity\n",
        "a = NaN\n", "a = 0x\n",
    ],
)  # fmt: skip
def test_tables_and_numbers_tomllib_refuses_are_refused(text):
    test_the_lite_reader_refuses_what_tomllib_refuses(text)


@pytest.mark.parametrize(
    "text",
    [
        "a = 0x10\n", "a = 0xdead_BEEF\n", "a = 0o17\n", "a = 0b1_01\n", "a = 0x00\n",
        "a = inf\n", "a = -inf\n", "a = +nan\n", "a = 1e400\n", "[a.b]\n[a]\n",
        "a.b = 1\na.c = 2\n", "[a.b.c]\n[a]\nb.d = 1\n", "[a]\nb.c = 1\nb.d = 2\n",
        "[x]\na.b = 1\n[y]\na.b = 2\n",
    ],
)  # fmt: skip
def test_tables_and_numbers_tomllib_reads_are_read_alike(text):
    assert _same(toml_lite.loads_lite(text), tomllib.loads(text))


def test_the_random_documents_find_the_old_reader(monkeypatch):
    """Not vacuous: without the table rules, or without hexadecimal numbers, the same
    documents find disagreements."""
    monkeypatch.setattr(toml_lite._Defined, "key", lambda *args: None)
    assert _strict_disagreements(0, 4000)
    monkeypatch.undo()
    monkeypatch.setattr(toml_lite, "_BASED_INT", re.compile(r"(?!)"))
    assert _strict_disagreements(0, 4000)


@pytest.mark.parametrize("spelling", ["nan", "inf", "-inf"])
def test_a_number_that_is_not_finite_is_refused_by_the_configuration_naming_its_key(
    tmp_path, spelling
):
    """The reader now gives nan and inf as tomllib does (it refused them); the release
    configuration still refuses them, naming the key, on either reader."""
    from crime_mapper.core.monthly.config import ConfigError, ReleaseConfig

    text = f"[anonymise]\nmax_distance_m = {spelling}\n"
    for read in (toml_lite.loads_lite, tomllib.loads):
        with pytest.raises(ConfigError, match="max_distance_m"):
            ReleaseConfig.from_dict(read(text), tmp_path)


# --- names of too many dotted parts: refused before either reader spends time on them -----
def _name(parts: int, part: str = "a") -> str:
    return ".".join([part] * parts)


@pytest.mark.parametrize(
    "text, line",
    [
        (f"x = 1\n{_name(33)} = 1\n", 2),
        (f"[{_name(33)}]\n", 1),
        (f"[t]\nx = 1\n\n[ {_name(33, ' a ')} ]\n", 4),
        (f"{_name(33, chr(34) + 'a.b' + chr(34))} = 1\n", 1),
        (f"{_name(33, repr('k'))} = 1\n", 1),
        (f"x = {{ y = 1, {_name(33)} = 2 }}\n", 1),
        (f"{_name(5_000)} = 1\n", 1),
    ],
    ids=["key", "header", "spaced header", "quoted", "literal", "inline table", "5000 parts"],
)
def test_a_name_of_too_many_dotted_parts_is_refused_naming_its_line(text, line):
    """tomllib and the lite reader take time growing with the square of a name's parts (a
    40 KB key ``a.a.a...`` took 28 s), and a name of thousands of parts let a RecursionError
    out of ``loads`` (the compare of the two readers' values). A release configuration's
    names have at most 3 parts: past MAX_KEY_PARTS the file is refused, naming the line."""
    said = f"line {line}: a key or table name of more than {toml_lite.MAX_KEY_PARTS} dotted parts"
    with pytest.raises(toml_lite.TomlError, match=re.escape(said)):
        toml_lite.loads(text)
    if "{" not in text:  # (the lite reader refuses an inline table before its key)
        with pytest.raises(toml_lite.TomlError, match=re.escape(said)):
            toml_lite.loads_lite(text)


@pytest.mark.parametrize(
    "text",
    [
        f"{_name(32)} = 1\n",
        f"[{_name(20)}]\n{_name(32)} = 0x10\n",
        f'x = "{_name(40)}"\ny = [\n  "{_name(40)}",\n]\n',  # (dots in values are values)
        f"x = 1.5\n# {_name(40)}\n",
    ],
)
def test_names_within_the_limit_and_dots_in_values_read_as_tomllib_reads_them(text):
    assert toml_lite.loads(text) == tomllib.loads(text)  # (its numbers keep their texts)
    assert _same(toml_lite.loads_lite(text), tomllib.loads(text))


def test_the_configuration_reader_names_the_file_and_line_of_a_deep_name(tmp_path):
    from crime_mapper.core.monthly.config import ConfigError, read_config

    path = tmp_path / "release.toml"
    path.write_text(f"[release]\n{_name(10_000)} = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"release\.toml: line 2: a key or table name of more"):
        read_config(path)


_RUN = _name(40)  # (a line of dotted words a description may hold: no key)


@pytest.mark.parametrize(
    "text",
    [
        f'description = """\nSee {_RUN}\n, {_RUN}\n{_RUN}\n[{_RUN}]\n{{{_RUN}\n"""\n',
        f"description = '''\n{_RUN}\n, {_RUN} and [{_RUN}]\n{{{_RUN}'''\n",
        f"description = \"first, {_RUN}\"\nother = '[{_RUN}'\n",
        f'x = ["a", "b, {_RUN}", \'c, {_RUN}\']\ny = {{ z = "q, {_RUN}" }}\n',
        f"x = 1 # note, {_RUN}\n# , {_RUN}\n  # [{_RUN}]\n",
        f'x = """a"""""\ny = "\\", {_RUN}"\nz = """\\"""\n, {_RUN}"""\n',
        f"x = '''a'''''\ny = '''''\n, {_RUN}'''\n",
        f'"a.b" = ", {_RUN}"\n[t]\n"c" . d = """\n, {_RUN}"""\n',
    ],
    ids=[
        "multi-line basic",
        "multi-line literal",
        "after a comma in a string",
        "in an array and an inline table",
        "comment",
        "quotes that close late and escaped",
        "literal quotes that close late",
        "after quoted keys",
    ],
)
def test_dotted_words_in_strings_and_comments_are_no_name(text):
    """The deep-name guard searched the whole text, so a valid configuration whose
    description held ", " or a line start before 33 dotted words was refused as holding a
    key of too many parts; only places outside strings and comments count now."""
    assert toml_lite.loads(text) == tomllib.loads(text)
    # a deep name after them is still found, on its own line
    deep = text + f"{_name(33)} = 1\n"
    said = f"line {deep.count(chr(10))}: a key or table name of more than"
    with pytest.raises(toml_lite.TomlError, match=re.escape(said)):
        toml_lite.loads(deep)


def test_a_deep_name_after_many_strings_and_comments_is_refused_naming_its_line():
    """Strings and comments are passed over once each (not from the start again for each
    dotted run found inside one): a 10 MB file of them still ends in the refusal."""
    lines = [f'x{i} = ", {_RUN}" # , {_RUN}\n' for i in range(40_000)] + ["#\n"] * 2_000_000
    text = "".join(lines) + f"[{_name(33)}]\n"
    assert len(text) > 10_000_000
    with pytest.raises(toml_lite.TomlError, match=f"^line {len(lines) + 1}: a key or table"):
        toml_lite.loads(text)


_NO_NAME_PIECES = [
    'k{i} = "w, {run}" # , {run}\n',
    "k{i} = '{run}, x'\n",
    'k{i} = """\n{run}\n, {run}"""\n',
    "k{i} = '''{run}\n[{run}'''\n",
    "# , {run}\n",
    'k{i} = [\n  "{run}",\n  # , {run}\n  1.5,\n]\n',
    'k{i} = {{ a = ", {run}" }} # [{run}\n',
    'k{i} = """a""""" # , {run}\n',
    'k{i} = "\\"" # ,{run}\n',
    '"q.{i}" . r = """\\\n  , {run}"""\n',
    "\n",
]


@pytest.mark.parametrize("seed", range(20))
def test_random_documents_of_dotted_words_in_strings_read_as_tomllib_reads_them(seed):
    """Random valid documents of strings and comments holding dotted runs read as tomllib
    reads them; a deep name put between any two of their lines is refused naming its line."""
    rng = random.Random(seed)
    pieces = [
        rng.choice(_NO_NAME_PIECES).format(i=i, run=_name(rng.randint(33, 60))) for i in range(40)
    ]
    text = "".join(pieces)
    assert toml_lite.loads(text) == tomllib.loads(text)
    at = rng.randint(0, len(pieces))
    before = "".join(pieces[:at])
    deep = before + f"{_name(33)} = 1\n" + "".join(pieces[at:])
    said = f"line {before.count(chr(10)) + 1}: a key or table name of more than"
    with pytest.raises(toml_lite.TomlError, match=re.escape(said)):
        toml_lite.loads(deep)
