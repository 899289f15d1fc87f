"""The leak gate's reader takes a web map's data scripts (1.25 million counts, 250,000
coordinate pairs) in numpy: flat integer arrays in one conversion, coordinates nested to one
depth whose positions are all two floats flattened level by level, and the bare-number
timestamps of those numbers picked in numpy; and the numbers of 4+ decimals that coordinate
pairs in text are made of (scan.DECIMAL_4) are found in numpy on the UTF-8 bytes. Each fast
path must give exactly what the walk one element at a time and the regex gave (kept here as
the reference): the same numbers, the same coordinates in the same order (the first examples
of a finding are reported in that order), the same bad coordinates and the same failures, on
random and hostile JSON and text.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import numpy as np
import pytest

from crime_mapper.core.gate import checks, output_reader, scan
from crime_mapper.core.gate.output_reader import Artifact, walk_json
from tests.support.gate_references import reference_walk

FLOATS = [-1.5, 52.123456, -0.0739, 0.0, -0.0, 1e-7, 51.5145, 1e300, float("nan"), float("inf")]
ODD = [True, False, None, "1.5", "x", 7, -3, 2**63, 2**70, 10**400, {}, {"x": 1.0}]


def _position(rng: random.Random, clean: bool) -> Any:
    if clean:
        return [rng.choice(FLOATS), rng.choice(FLOATS)]
    shape = rng.randrange(6)
    if shape == 0:
        return [rng.choice(FLOATS + ODD) for _ in range(rng.choice([0, 1, 2, 3, 4]))]
    if shape == 1:
        return [rng.choice(FLOATS), rng.choice(ODD)]
    if shape == 2:
        return [rng.choice(ODD), rng.choice(FLOATS)]
    if shape == 3:
        return rng.choice(ODD)
    if shape == 4:
        return [[rng.choice(FLOATS), rng.choice(FLOATS)]]  # one level deeper
    return [rng.choice(FLOATS), rng.choice(FLOATS)]


def _nested(rng: random.Random, depth: int, clean: bool, odd_share: float) -> Any:
    if depth == 0:
        return _position(rng, clean or rng.random() > odd_share)
    n = rng.choice([0, 1, 2, 3, 5, 8])
    return [_nested(rng, depth - 1, clean, odd_share) for _ in range(n)]


def _coordinates(rng: random.Random) -> tuple[Any, bool]:
    """(a "coordinates" value, whether it is clean: one depth, two floats per position)."""
    clean = rng.random() < 0.5
    depth = rng.choice([0, 1, 1, 2, 3])
    value = _nested(rng, depth, clean, rng.choice([0.02, 0.2, 1.0]))
    if depth == 0 and rng.random() < 0.5:
        value = [value]
    return value, clean


def _same_floats(a: Any, b: Any) -> bool:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def _fast_positions(value: Any) -> Any:
    """(x, y) of the fast path's list, as the walk converts it; None where it gives way."""
    flat = output_reader._float_pair_list(value)
    return None if flat is None else output_reader._pairs_of(flat)


@pytest.mark.parametrize("seed", range(400))
def test_float_positions_are_what_positions_takes(seed: int):
    rng = random.Random(seed)
    value, clean = _coordinates(rng)
    lons: list = []
    lats: list = []
    bad: list = []
    fast = _fast_positions(value)
    try:
        listed = output_reader._positions(value, lons, lats, bad)
    except OverflowError:  # (an int beyond a float: the walk fails, so no fast answer)
        assert fast is None and not clean
        return
    if clean and isinstance(value, list):
        assert fast is not None  # (the fast path is taken on what an export writes)
    if fast is not None:
        assert listed and not bad
        assert _same_floats(fast[0], lons) and _same_floats(fast[1], lats)


def test_float_positions_keep_the_walks_order_and_refuse_mixed_depths():
    value = [[[1.0, 2.0], [3.0, 4.0]], [], [[5.0, 6.0]]]
    lons: list = []
    output_reader._positions(value, lons, [], [])
    fast = _fast_positions(value)
    assert fast is not None and fast[0].tolist() == lons == [5.0, 3.0, 1.0]
    assert _fast_positions([[1.0, 2.0], [[3.0, 4.0]]]) is None
    assert _fast_positions([[[1.0, 2.0]], [3.0, 4.0]]) is None
    assert _fast_positions([[1.0, 2.0], [3.0, True]]) is None
    assert _fast_positions([[1.0, 2.0], [3, 4.0]]) is None
    assert _fast_positions([[1.0, 2.0, 3.0]]) is None
    assert _fast_positions([[1.0, 2.0], 3.0]) is None
    empty = _fast_positions([[], [[]]])
    assert empty is not None and empty[0].size == 0


@pytest.mark.parametrize("seed", range(100))
def test_int_values_are_float_of_each(seed: int):
    rng = random.Random(seed)
    pool = [0, 1, -1, 7, 2**53 + 1, 2**62 + 3, -(2**63) + 5, 2**63 - 6, 123456789012345678]
    item = [rng.choice(pool) + rng.randrange(-5, 5) for _ in range(rng.randrange(4, 40))]
    big = rng.random() < 0.3
    if big:
        item[rng.randrange(len(item))] = rng.choice([2**63, -(2**63) - 1, 2**70, 10**400])
    values = output_reader._int_values(item)
    if big:
        assert values is None
    else:
        assert values is not None and values.tolist() == [float(v) for v in item]


def _document(rng: random.Random) -> Any:
    """Random JSON like a data script's: flat int arrays, coordinates, lenient pairs,
    strings, scalars, nested objects."""
    out: dict[str, Any] = {}
    for k in range(rng.randrange(1, 8)):
        kind = rng.randrange(8)
        if kind == 0:
            out[f"n{k}"] = [rng.randrange(-(10**12), 10**12) for _ in range(rng.randrange(3, 30))]
        elif kind == 1:
            item: list = [rng.randrange(10**7) for _ in range(rng.randrange(4, 12))]
            item[rng.randrange(len(item))] = rng.choice([True, 1.5, "7", None, 2**64, 10**400])
            out[f"m{k}"] = item
        elif kind == 2:
            out["coordinates" if rng.random() < 0.7 else "Coordinates"] = _coordinates(rng)[0]
        elif kind == 3:
            out[f"p{k}"] = {"lon": rng.choice([-1.23456, 2, "x"]), "lat": 52.12345}
        elif kind == 4:
            out[f"q{k}"] = [[-1.23456, 52.54321], [52.54321, -1.23456, 3], [1.5, 2.5]]
        elif kind == 5:
            out[f"s{k}"] = rng.choice(["", "text", "On or near X", "12345678"])
        elif kind == 6:
            out[f"v{k}"] = rng.choice([1, 2.5, -7, 1e6, 1234567.0, True, None, 10**20])
        else:
            out[f"o{k}"] = {"geometry": {"coordinates": _coordinates(rng)[0]}, "n": [1, 2, 3, 4]}
    return [out, _coordinates(rng)[0]] if rng.random() < 0.3 else out


def _walked(data: Any) -> dict:
    art = Artifact(name="x.js", kind="text")
    try:
        walk_json(art, data, "x.js")
    except Exception as exc:  # noqa: BLE001 - the reader turns this into an error artifact
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "strings": sorted(art.strings),
        "numbers": art.number_values().tobytes(),
        "lon": [a.tobytes() for a in art.lon],
        "lat": [a.tobytes() for a in art.lat],
        "where": art.coord_where,
        "bad": art.bad_coordinates,
        "unlisted": art.unlisted_numbers,
    }


@pytest.mark.parametrize("seed", range(300))
def test_walk_json_fast_is_the_walk(seed: int, monkeypatch: pytest.MonkeyPatch):
    data = _document(random.Random(seed))
    fast = _walked(data)
    reference_walk(monkeypatch)
    assert fast == _walked(data)


def _collection(rng: random.Random) -> Any:
    """A FeatureCollection whose outlines' coordinates the fast path takes, one run after
    another, with what breaks a run between them: a lenient lon/lat pair, positions as the
    web map's letters, a position the walk takes one by one, an empty outline."""
    from crime_mapper.core.common.position_codec import encode_positions

    features = []
    for _ in range(rng.randrange(0, 40)):
        kind = rng.randrange(10)
        if kind < 5:
            rings = [
                [[rng.uniform(-5, 2), rng.uniform(50, 56)] for _ in range(rng.randrange(1, 6))]
                for _ in range(rng.randrange(1, 3))
            ]
            geometry: Any = {"type": "Polygon", "coordinates": rings}
        elif kind == 5:
            geometry = {"lon": rng.uniform(-5, 2), "lat": rng.uniform(50, 56)}
        elif kind == 6:
            n = rng.randrange(0, 4)
            geometry = {
                "coordinates": encode_positions(
                    np.array([rng.uniform(-5, 2) for _ in range(n)]),
                    np.array([rng.uniform(50, 56) for _ in range(n)]),
                )
            }
        elif kind == 7:
            geometry = {"coordinates": [[1.5, 2]]}  # an int: the walk takes it
        elif kind == 8:
            geometry = {"coordinates": []}
        else:
            geometry = {"coordinates": [[[-1.25, 52.5], "x"]]}  # a bad one
        features.append({"type": "Feature", "properties": {"n": 1}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


@pytest.mark.parametrize("seed", range(200))
def test_outlines_converted_together_are_the_walk(seed: int, monkeypatch: pytest.MonkeyPatch):
    """A map's outlines, converted in one array per stretch of runs (_runs_joined): the
    coordinates of the walk one position at a time, in its order, whatever breaks a run."""
    data = _collection(random.Random(seed))
    fast = _walked(data)
    reference_walk(monkeypatch)
    assert fast == _walked(data)


def test_the_fast_walk_is_taken_on_a_data_scripts_shape():
    art = Artifact(name="x.js", kind="text")
    walk_json(art, {"n": [1, 2, 3, 4, 5], "points": {"coordinates": [[-1.5, 52.25]]}}, "x")
    assert art.numbers == [] and len(art.number_runs) == 1
    assert art.lon[0].tolist() == [-1.5]


def test_only_arrays_of_plain_ints_are_taken_in_one_go():
    """A boolean (an int to Python and numpy) or a float among them: walked element by
    element, from the end, where a boolean is no number."""
    for item, numbers in (
        ([1, 2, True, 4, 5], [5.0, 4.0, 2.0, 1.0]),
        ([1, 2, 3.5, 4], [4.0, 3.5, 2.0, 1.0]),
        ([1, 2, 3], [3.0, 2.0, 1.0]),  # (three or fewer: maybe a position)
    ):
        art = Artifact(name="x.js", kind="text")
        walk_json(art, {"n": item}, "x")
        assert not art.number_runs and art.number_values().tolist() == numbers


@pytest.mark.parametrize("seed", range(100))
def test_whole_numbers_from_1e6_are_the_ints_taken_one_by_one(seed: int):
    rng = random.Random(seed)
    pool = [
        1e6, 1e6 - 1, 999999.5, 1e6 + 0.5, 1234567.0, 1.6e12, 2.0**53, 2.0**63 - 1024,
        -1e7, 0.0, float("nan"), float("inf"), -float("inf"), 1e15, 12345678.25,
    ]  # fmt: skip
    values = np.array([rng.choice(pool) for _ in range(rng.randrange(0, 30))], dtype=np.float64)
    if rng.random() < 0.2:
        values = np.append(values, rng.choice([2.0**63, 1e19, 1e300]))
    reference = [int(v) for v in values.tolist() if float(v).is_integer() and v >= 1e6]
    whole = checks._whole_numbers_from_1e6(values)
    if any(v >= 2**63 for v in reference):
        assert whole is None
    else:
        assert whole is not None and whole.dtype == np.int64 and whole.tolist() == reference


def test_number_values_keep_the_order_read(monkeypatch: pytest.MonkeyPatch):
    data = json.loads('[1.5, [1, 2, 3, 4], 2.5, [5, 6, 7, 8], {"a": 9.5}]')
    art = Artifact(name="x.js", kind="text")
    walk_json(art, data, "x")
    assert len(art.number_runs) == 2  # (the walk's order: from the end, depth first)
    assert art.number_values().tolist() == [9.5, 5, 6, 7, 8, 2.5, 1, 2, 3, 4, 1.5]
    reference_walk(monkeypatch)
    old = Artifact(name="x.js", kind="text")
    walk_json(old, data, "x")
    assert old.numbers == art.number_values().tolist() and not old.number_runs


# --- numbers of 4+ decimals (scan.DECIMAL_4) found in numpy, for the coordinate pairs in text ---
DECIMAL_PIECES = [
    "1", "12", "123", "1234", "0", "5678", "12345", "9" * 70, ".", "..", "-", "--", "a", "Z",
    "_", "x", "e5", "E", "+", " ", ",", "[", "]", '"', "\n", "\x00", ".1234", "-1.2345",
    "52.123456", "-0.07390", "1.23456789", "[-1.234567,52.765432]", "1.123", " 12.123 ",
    "-1.12", "1234.12345", "12.12345_", "1.12345.", "a-1.12345", ".-1.23456", "--1.23456",
]  # fmt: skip
UNICODE_PIECES = ["é", "\u0661", "\u0662\u0663\u0664\u0665", "\u00b2", "’", "\ud800", "Ａ"]


def _decimal_text(rng: random.Random, pieces: list[str], n: int) -> str:
    return "".join(rng.choice(pieces) for _ in range(rng.randrange(0, n)))


def _regex_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in scan.DECIMAL_4.finditer(text)]


@pytest.mark.parametrize("seed", range(300))
def test_decimal_4_spans_are_the_regex_matches(seed: int):
    rng = random.Random(seed)
    ascii_text = _decimal_text(rng, DECIMAL_PIECES[:7] + DECIMAL_PIECES[8:], 200)
    spans = scan.decimal_4_spans(ascii_text)
    assert spans is not None  # (plain ASCII, no run of 65+ digits: always in numpy)
    assert list(zip(spans[0].tolist(), spans[1].tolist())) == _regex_spans(ascii_text)
    for _ in range(20):
        text = _decimal_text(rng, DECIMAL_PIECES + UNICODE_PIECES, 30)
        spans = scan.decimal_4_spans(text)
        if spans is not None:
            assert list(zip(spans[0].tolist(), spans[1].tolist())) == _regex_spans(text), text


def test_decimal_4_spans_give_way_where_unicode_could_count():
    for text in ("\u0661.23456", "1.\u0662345", "1.23\u0664\u0665", "\u0661" + "1.23456",
                 "é1.23456", "1.23456é", "é-1.23456", "1." + "2" * 70):  # fmt: skip
        assert scan.decimal_4_spans(text) is None, text
    # elsewhere in the text, non-ASCII only shifts the offsets to characters
    text = "é’ x -1.23456 Ａ, 52.123456 \ud800 [1.5,2.25]"
    spans = scan.decimal_4_spans(text)
    assert spans is not None
    assert list(zip(spans[0].tolist(), spans[1].tolist())) == _regex_spans(text)
    assert [text[a:e] for a, e in zip(*spans)] == ["-1.23456", "52.123456"]


def _reference_text_pairs(text: str) -> tuple[list[float], list[float], list[str]]:
    """scan.text_pairs as it was: the numbers and the text between them by a regex split."""
    parts = scan._DECIMAL_4_SPLIT.split(text)
    numbers = parts[1::2]
    n = len(numbers)
    if n < 2:
        return [], [], []
    between = parts[2:-1:2]
    values = np.fromiter(map(float, numbers), dtype=np.float64, count=n)
    gaps = np.fromiter(map(len, between), dtype=np.int64, count=n - 1)
    a, b = values[:-1], values[1:]
    near = gaps <= scan._MAX_GAP
    lon_lat = near & scan._uk_lon_lat(a, b)
    lat_lon = near & ~lon_lat & scan._uk_lon_lat(b, a)
    pairable = lon_lat | lat_lon
    if not pairable.any():
        return [], [], []
    edges = np.flatnonzero(pairable)
    run_start = np.ones(edges.size, dtype=bool)
    run_start[1:] = edges[1:] != edges[:-1] + 1
    first = np.maximum.accumulate(np.where(run_start, edges, 0))
    taken = edges[(edges - first) % 2 == 0]
    lons = np.where(lon_lat, a, b)[taken]
    lats = np.where(lon_lat, b, a)[taken]
    shown = [numbers[i] + between[i] + numbers[i + 1] for i in taken.tolist()]
    return lons.tolist(), lats.tolist(), shown


PAIR_PIECES = [
    "-1.234567", "52.765432", "-0.0739", "51.51450", "1.2345", "-11.00001", "61.49999",
    "49.0000", "2.4999", "2.5001", ",", ", ", "[", "],[", " " * 30, "x" * 15, "é", "\u0661",
    "\n", "-", ".", "1", "1234.56789", "-1.23456e5", "—",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(300))
def test_text_pairs_are_the_split_ones(seed: int):
    rng = random.Random(seed)
    pieces = PAIR_PIECES if seed % 2 else PAIR_PIECES[:16] + PAIR_PIECES[19:]
    text = _decimal_text(rng, pieces, 120)
    assert scan.text_pairs(text) == _reference_text_pairs(text)


# --- "could one of these numbers be a raw value": integer keys outside the set's range skipped --
@pytest.mark.parametrize("seed", range(200))
def test_any_member_is_isin_any(seed: int):
    rng = np.random.default_rng(seed)
    dtype = rng.choice([np.int64, np.uint64, np.int32])
    low = 0 if dtype == np.uint64 else int(rng.integers(-(10**6), 10**6))
    width = int(rng.integers(1, 10**7))
    sorted_set = np.unique(rng.integers(low, low + width, int(rng.integers(0, 50)))).astype(dtype)
    size = int(rng.choice([0, 1, 10, 5000, 20000]))
    keys = rng.integers(
        max(low - width, 0 if dtype == np.uint64 else low - width), low + 2 * width, size
    )
    keys = keys.astype(rng.choice([dtype, np.int64, np.float64]))
    if size and rng.random() < 0.5 and sorted_set.size:  # the ends themselves
        keys[rng.integers(0, size)] = sorted_set[0]
        keys[rng.integers(0, size)] = sorted_set[-1]
    assert scan.any_member(keys, sorted_set) == bool(np.isin(keys, sorted_set).any())


def test_any_member_at_the_sets_ends_and_what_it_leaves_out(monkeypatch: pytest.MonkeyPatch):
    sorted_set = np.array([1_000_000, 2_000_000, 3_000_000], dtype=np.int64)
    counts = np.arange(50_000, dtype=np.int64)  # (a data script's counts: all below the set)
    for end in (1_000_000, 3_000_000):
        assert scan.any_member(np.append(counts, end), sorted_set)
    assert not scan.any_member(np.append(counts, 3_000_001), sorted_set)
    # a float set may end in NaN: no range is taken from it
    assert scan.any_member(np.array([1.0, 5.0]), np.array([1.0, np.nan]))
    asked: list[int] = []
    member = scan.member
    monkeypatch.setattr(scan, "member", lambda k, s: asked.append(k.size) or member(k, s))
    assert not scan.any_member(counts, sorted_set)
    assert asked == [0]  # (the counts were left out, not sorted)


# --- string literals: each distinct one without escapes read once -----------------------------
def _reference_literals(body: str) -> tuple[list[str], set, list[str]]:
    """_read_script's literal loop as it was: every occurrence unescaped and normalised."""
    art = Artifact(name="x.js", kind="text")
    raw_parts = art.script_raw_parts
    for m in output_reader._JS_STRING.finditer(body):
        lit = m.group()
        inner = lit[1:-1]
        if "\\" in inner:
            raw_parts.append(lit)
        if lit[0] == '"' and "\\" in inner:
            try:
                inner = json.loads(lit)
            except json.JSONDecodeError:
                pass
        elif "\\" in inner:
            try:
                inner = json.loads('"' + inner.replace('"', '\\"').replace("\\'", "'") + '"')
            except json.JSONDecodeError:
                pass
        if inner.strip():
            art.strings.add(output_reader.normalise(inner))
            art.texts.append(inner)
    return art.texts, art.strings, art.script_raw_parts


LITERALS = [
    '"type"', '"Feature"', '"a  b "', '"  "', '""', '"x\\u0026y"', '"x\\u0026y"', "'q'",
    "'a\\'b'", "`t`", '"\\u2028"', '"\\""', '" é "', "'  '", '"bad\\q"', '"On or near X"',
]  # fmt: skip


@pytest.mark.parametrize("seed", range(200))
def test_each_distinct_literal_is_read_once_with_the_same_texts(seed: int):
    rng = random.Random(seed)
    body = "var x = [" + ",".join(rng.choice(LITERALS) for _ in range(rng.randrange(0, 60)))
    body += "]; " + "".join(rng.choice(LITERALS + [" + ", ";\n", "f(1)"]) for _ in range(9))
    art = Artifact(name="x.js", kind="text")
    output_reader._read_script(art, body, "x", data=[])  # (as a data script: raw parts kept)
    texts, strings, raw_parts = _reference_literals(body)
    assert art.texts == texts and art.strings == strings
    assert art.script_raw_parts[1:] == raw_parts  # (after the head)


def test_a_repeated_literal_is_unescaped_and_normalised_once(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []
    normalise = output_reader.normalise
    monkeypatch.setattr(output_reader, "normalise", lambda t: calls.append(t) or normalise(t))
    art = Artifact(name="x.js", kind="text")
    output_reader._read_script(art, "var x = [" + ",".join(['"type"'] * 50) + "];", "x")
    assert calls == ["type"] and art.texts == ["type"] * 50


# --- the string literal pattern: the plain definition's literals, scanned faster ----------------
# JavaScript's literal as written plainly: each character a plain one or an escape (the
# reader's pattern before it took runs of plain characters in one step; kept as the reference)
PLAIN_LITERAL = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`'
PIECES = ['"', "'", "`", "\\", "\\\\", "\n", "\r", "\u2028", "a", "é", " ", "//", "/*", "*/",
          '\\"', "\\'", "\\`", "\\\n", "xyz" * 3, "\\u0041", "\x00"]  # fmt: skip


def _hostile_body(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 80)))


@pytest.mark.parametrize("seed", range(300))
def test_string_literals_are_the_plain_definitions(seed: int):
    rng = random.Random(seed)
    body = _hostile_body(rng)
    if seed % 3 == 0:  # (a long literal, closed or not: a web map's positions)
        body = body + '"' + "AbC" * rng.randrange(1, 2000) + rng.choice(['"', "", "\n", "\\"])
    plain = re.compile(PLAIN_LITERAL, re.S)
    spans = [m.span() for m in plain.finditer(body)]
    assert [m.span() for m in output_reader._JS_STRING.finditer(body)] == spans
    comment = re.compile(
        r"//(?P<line>[^\n\r\u2028\u2029]*)|/\*(?P<block>.*?)(?:\*/|\Z)|" + PLAIN_LITERAL, re.S
    )
    found = [(m.span(), m.group("line"), m.group("block")) for m in comment.finditer(body)]
    fast = output_reader._JS_COMMENT.finditer(body)
    assert [(m.span(), m.group("line"), m.group("block")) for m in fast] == found


# --- a data script's escaped string literals -----------------------------------------------------
def test_a_scripts_escaped_literals_read_as_before():
    """One literal JSON refuses among valid ones: each valid one is still its text, the
    refused one read as written."""
    body = 'var a = ["x \\u0026 y", "bad \\x41", "ok \\u00e9", \'q \\u0026\'];'
    art = Artifact(name="x.js", kind="text")
    output_reader._read_script(art, body, "x.js")
    assert art.texts[:4] == ["x & y", "bad \\x41", "ok é", "q &"]
    assert {"x & y", "bad \\x41", "ok é", "q &"} <= art.strings


# --- per-point arrays written as letters (core.common.letter_digits) --------------------------
def test_lettered_numbers_are_read_as_the_numbers_they_are():
    """An object whose encoding is the letters' gives its "values" as numbers, in the walk's
    order among the JSON numbers, and the letters leave the texts (as positions' do); the
    same object with another encoding, or values that are not a string, is walked as is."""
    from crime_mapper.core.common.letter_digits import NATURALS_ENCODING, naturals_to_letters

    letters = naturals_to_letters(np.array([3, 20221027, 0, 1700000000]))
    data = {
        "a": 1.5,
        "n": {"encoding": NATURALS_ENCODING, "values": letters},
        "other": {"encoding": "something-else", "values": "ABC"},
        "listed": {"encoding": NATURALS_ENCODING, "values": [7, 8]},
    }
    body = "window.CM_DATA = " + json.dumps(data) + ";"
    art = Artifact(name="x.js", kind="text")
    output_reader._read_script(art, body, "x.js", json.loads(body.split(" = ", 1)[1][:-1]))
    values = art.number_values().tolist()
    assert [3.0, 20221027.0, 0.0, 1700000000.0] == values[values.index(3.0) :][:4]
    assert {7.0, 8.0, 1.5} <= set(values)
    assert letters not in art.texts and letters not in art.strings
    assert "ABC" in art.texts  # (another encoding's letters stay a text)


def test_damaged_letters_make_the_script_unreadable(tmp_path):
    """Letters that are not numbers: what the page would show from them is unknown, so the
    file is unreadable (every check of the gate fails on it)."""
    from crime_mapper.core.common.letter_digits import NATURALS_ENCODING

    for values in ("AB1", "ABc", "a" * 8 + "A"):
        data = {"n": {"encoding": NATURALS_ENCODING, "values": values}}
        script = tmp_path / "data.js"
        script.write_text("window.CM_DATA = " + json.dumps(data) + ";\n", encoding="utf-8")
        (art,) = output_reader.read_output(script)[1]
        assert art.error and "numbers" in art.error, values
