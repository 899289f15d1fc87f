"""The leak gate's raw-side views (core/gate/context.PreparedGate) computed the fast way equal
the direct way, exactly: values, dtype and order (issues 12, 13, 15: speed only, no verdict,
message or output byte may change).

Each test builds the view the direct way (the formula the view used before it was made
faster, written out here) and compares it with the view, on hostile small tables (NaN, huge,
negative and whole values; NULs, non-ASCII text, case variants, empty strings, None, mixed
types) and on a real police.uk month. The national comparison (500,000 raw rows, 750,000 map
points) was run once against the session's starting code with every view compared; see
the closing note of issue 15.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.vocabulary import MONTH_RE
from crime_mapper.core.gate import context, scan


class _Points:
    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        self.longitude = lon
        self.latitude = lat
        self.label = np.array(["High Street"] * len(lon), dtype=object)


def _no_points() -> _Points:
    return _Points(np.zeros(0), np.zeros(0))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))


# --- projected coordinates: grid keys, metres, the numbers a grid finding may hold -----------
def _direct_grid_views(raw: pd.DataFrame, points: _Points) -> tuple:
    """raw_grid_keys, raw_metres and grid_known as np.unique of every floor and ceiling."""
    projected = context.PreparedGate(raw, points).raw_projected
    empty = np.zeros(0, dtype=np.int64)
    if projected is None:
        return (empty, empty, empty, empty), empty, empty
    sx, sy, fx, cx, fy, cy = projected
    tx = (np.floor(sx / 10.0) * 10).astype(np.int64), (np.ceil(sx / 10.0) * 10).astype(np.int64)
    ty = (np.floor(sy / 10.0) * 10).astype(np.int64), (np.ceil(sy / 10.0) * 10).astype(np.int64)
    if sx.size == 0:
        grid = (empty, empty, empty, empty)
    else:
        grid = (
            np.unique(np.concatenate([scan.pair_keys(a, b) for a in (fx, cx) for b in (fy, cy)])),
            np.unique(np.concatenate([scan.pair_keys(a, b) for a in tx for b in ty])),
            np.unique(np.concatenate([fx, cx])),
            np.unique(np.concatenate([fy, cy])),
        )
    metres = np.unique(np.concatenate([fx, cx, fy, cy]))
    known = np.unique(np.concatenate([grid[2], grid[3], *tx, *ty]))
    return grid, metres, known


def _projected_table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    pick = rng.integers(0, 8, n)
    x = rng.integers(-50, 800_000, n).astype(float)
    y = rng.integers(-50, 1_300_000, n).astype(float)
    x[pick == 1] += rng.random((pick == 1).sum())  # fractions
    y[pick == 2] += 0.5
    x[pick == 3] = np.round(x[pick == 3], -1)  # whole tens
    y[pick == 3] = np.round(y[pick == 3], -1) + 0.25
    x[pick == 4] = np.nan
    y[pick == 5] = np.inf
    x[pick == 6] = -x[pick == 6] - 0.75  # negative
    y[pick == 7] = 2.0**40 + 0.5  # beyond pair_keys' 21 bits (keys collide alike)
    crs = rng.choice(["EPSG:27700", "epsg:2157", "EPSG:4326", None], n)
    return pd.DataFrame(
        {
            "source_crs": pd.Series(crs, dtype="category" if rng.random() < 0.5 else object),
            "source_x": x,
            "source_y": y,
            "longitude": np.where(rng.random(n) < 0.2, -1.5, np.nan),
            "latitude": np.where(rng.random(n) < 0.2, 52.5, np.nan),
        }
    )


@pytest.mark.parametrize("seed", range(12))
def test_grid_views_equal_np_unique_of_every_floor_and_ceiling(seed: int):
    rng = np.random.default_rng(seed)
    raw = _projected_table(rng, int(rng.integers(0, 400)))
    points = _Points(np.array([-1.5]), np.array([52.5]))  # some rows at a map point
    grid, metres, known = _direct_grid_views(raw, points)
    prep = context.PreparedGate(raw, points)
    for got, want in zip(prep.raw_grid_keys, grid):
        assert _same(got, want)
    assert _same(prep.raw_metres, metres)
    assert _same(prep.grid_known, known)


def test_grid_views_without_projected_rows():
    raw = pd.DataFrame({"longitude": [-1.5, np.nan], "latitude": [52.5, np.nan]})
    prep = context.PreparedGate(raw, _no_points())
    empty = np.zeros(0, dtype=np.int64)
    assert all(_same(a, empty) for a in prep.raw_grid_keys)
    assert _same(prep.raw_metres, empty) and _same(prep.grid_known, empty)
    raw["source_crs"] = "EPSG:4326"
    raw["source_x"] = raw["source_y"] = 400000.5
    prep = context.PreparedGate(raw, _no_points())
    assert all(_same(a, empty) for a in prep.raw_grid_keys)
    assert _same(prep.raw_metres, empty) and _same(prep.grid_known, empty)


def test_unique_of_runs_equals_np_unique():
    rng = np.random.default_rng(5)
    for _ in range(300):
        parts = []
        for _p in range(int(rng.integers(1, 5))):
            part = rng.integers(-(2**62), 2**62, int(rng.integers(0, 50)))
            if rng.random() < 0.5:
                part = np.sort(part)
            if rng.random() < 0.3:
                part = part % 7
            parts.append(part.astype(rng.choice([np.int64, np.int32, np.uint16])))
        assert _same(scan.unique_of_runs(parts), np.unique(np.concatenate(parts)))
    floats = [np.array([2.0, np.nan, 1.0]), np.array([np.nan, 1.0])]
    assert np.array_equal(
        scan.unique_of_runs(floats), np.unique(np.concatenate(floats)), equal_nan=True
    )


# --- categorical columns' distinct values; timestamps ------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        ["b", None, "a", "b", np.nan, "a\x00x", "A", ""],
        [3, 1, 3, None],
        [None, None],
        [],
        ["only"],
        [f"v{i % 300}" for i in range(2000)] + [None],
    ],
)
def test_categories_used_equal_np_unique_of_the_codes(values: list):
    column = pd.Series(values, dtype="category")
    codes = column.cat.codes.to_numpy()
    used = context._codes_used(codes, len(column.cat.categories))
    assert np.array_equal(used, np.unique(codes))
    subset = column[: len(column) // 2]  # categories not used by any row are left out
    sub_codes = subset.cat.codes.to_numpy()
    assert np.array_equal(
        context._codes_used(sub_codes, len(subset.cat.categories)), np.unique(sub_codes)
    )


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.to_datetime(["2022-10-01 12:33:05", None, "1970-01-01", "2262-04-11"])),
        pd.Series(pd.to_datetime(["2022-10-01 12:33"] * 3)),
        pd.Series([], dtype="datetime64[ns]"),
        pd.Series(["2022-10-01", "not a date", None, 5]),
        pd.Series(pd.to_datetime(["2022-10-01 12:33"]).tz_localize("Europe/London")),
    ],
)
def test_datetimes_equal_to_datetime(column: pd.Series):
    got = context._as_datetimes(column)
    want = pd.to_datetime(column, errors="coerce")
    assert got.dtype == want.dtype
    pd.testing.assert_series_equal(got, want)


def test_timestamp_forms_equal_those_of_converted_text():
    """A raw table's occurred_at already of datetime64 gives the forms its text gives."""
    when = ["2022-10-01 12:33:05", None, "2022-10-31 23:59:59", "2022-10-01 12:33:05"]
    raw = pd.DataFrame({"occurred_at": pd.to_datetime(when)})
    as_text = pd.DataFrame({"occurred_at": pd.Series(when, dtype=object)})
    forms = context.PreparedGate(raw, _no_points()).timestamp_forms
    assert _same(forms, context.PreparedGate(as_text, _no_points()).timestamp_forms)
    # (two distinct times, 8 forms each: epoch s and ms, yyyymmdd(HHMM(SS)), ddmmyyyy(HHMM(SS)))
    assert 20221001123305 in forms.tolist() and 1102022123305 in forms.tolist()
    assert forms.size == 16


def _random_text(rng: random.Random, n: int) -> list:
    pieces = ["a", "B", " ", "  ", "\x00", "é", "字", "On or near ", "12", "-", "'", "\t", ""]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(n)]


# --- non-public values and the raw free text ---------------------------------------------------
def _direct_odd_text(joined: str) -> bool:
    """_odd_text as it was: substring tests on the text and isprintable."""
    return (
        "  " in joined
        or " \x00" in joined
        or "\x00 " in joined
        or "\x00'" in joined
        or joined.startswith((" ", "'"))
        or joined.endswith(" ")
        or not joined.replace("\x00", "").isprintable()
    )


def test_odd_text_in_numpy_equals_the_substring_tests(monkeypatch: pytest.MonkeyPatch):
    """The byte masks, piece by piece (tiny pieces: the cuts fall everywhere, pairs across
    them included), give the substring tests' answer on hostile text: controls, DEL, NULs,
    quotes, edge spaces, non-ASCII (printable or not), lone surrogates."""
    rng = random.Random(13)
    pieces = ["a", " ", "  ", "\x00", "'", "\t", "\x01", "\x1f", "\x7f", "é", "\u2028", "字"]
    pieces += ["\ud800", "\x85", "\u00a0", "Z", "\n", "\x00'", " \x00", "\x00 "]
    for size in (1, 2, 3, 7, 1 << 20):
        monkeypatch.setattr(context, "_ODD_PIECE", size)
        for _ in range(3000):
            joined = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
            assert context._odd_text(joined) == _direct_odd_text(joined), (size, repr(joined))
            buf = joined.encode("utf-8", errors="surrogatepass")
            assert context._odd_text(joined, buf) == _direct_odd_text(joined), repr(joined)
    monkeypatch.undo()
    plain = "\x00".join(" ".join(["word"] * 9) for _ in range(40_000))  # 2 MB: two pieces
    assert len(plain) > context._ODD_PIECE and not context._odd_text(plain)
    for odd in ("  ", " \x00", "\x00 ", "\x00'", "\x01", "\x7f", "\u2028"):
        for at in (context._ODD_PIECE - 1, context._ODD_PIECE, len(plain) // 2):
            text = plain[:at] + odd + plain[at:]
            assert context._odd_text(text) == _direct_odd_text(text) is True, (odd, at)


def _direct_raw_text_values(series: pd.Series) -> list:
    """raw_text_values as it was: every distinct value, NaN taken out by pd.isna."""
    values = np.asarray(context._distinct(series), dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = values[~pd.isna(values)].tolist()
        if not _direct_odd_text("\x00".join(text)):
            return [v for v in text if v]
    out = []
    for v in values:
        if not isinstance(v, str):
            if v is None or v != v:
                continue
            v = str(v)
        if v != v.strip() or "  " in v or not v.isprintable():
            v = context.normalise(v)
        if v.startswith(context._FORMULA_GUARD):
            v = v[1:]
        if v:
            out.append(v)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_raw_text_values_equal_the_direct_form(seed: int):
    rng = random.Random(seed)
    text = _random_text(rng, rng.randint(0, 60))
    extras = [None, np.nan, "", "", 5, 2.5, "x\x00y", "Case", "CASE", "'=1", " lead"]
    extras += [_Text("sub"), b"bytes"]
    mixes = [
        text,
        text + rng.sample(extras, rng.randint(1, 4)),
        [t for t in text if t.strip() == t and "  " not in t and t.isprintable()],
        [t for t in text if t and t.isprintable() and "  " not in t and t.strip() == t] + [""],
    ]
    for values in mixes:
        for dtype in (object, "category"):
            try:
                series = pd.Series(values, dtype=dtype)
            except (TypeError, ValueError):
                continue
            got = context.raw_text_values(series)
            assert got == _direct_raw_text_values(series), (values, dtype)
            assert list(map(type, got)) == list(map(type, _direct_raw_text_values(series)))


class _Text(str):
    """A str subclass (a string to infer_dtype and to join alike)."""


def _direct_secret_parts(prep: context.PreparedGate) -> tuple[list, set]:
    """secret_parts and secret_set as they were: each column's distinct values less the
    public and earlier columns' ones, laid out strictly (a lone surrogate raises), each value
    tested on its own."""
    parts, seen = [], set()
    public = prep.public_strings
    for col in prep.secret_columns:
        values = list(set(_direct_raw_text_values(prep.raw[col])).difference(public, seen))
        "\x00".join(values).encode("utf-8")  # (strict, as scan.text_layout encodes)
        kept = [
            t
            for t in values
            if len(t) >= context.MIN_VALUE_CHARS
            and not (
                (t[0] in "+-0123456789" and context._PURE_NUMBER.fullmatch(t))
                or (len(t) == 7 and MONTH_RE.fullmatch(t))
                or (t.startswith(context.LOCATION_PREFIX) and prep.is_plainly_public(t))
            )
        ]
        seen.update(kept)
        parts.append((str(col), kept))
    return parts, seen


def _hostile_secret_table(seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    words = ["Theft", "12", "-3.5", "+7", "2022-10", "2022-13", "On or near High Street"]
    words += ["On or near Elm Road", "abc", "abcd", "1234567", "AB12345", "é字ab", "x\x00yz"]
    words += ["", "  spaced", "'=SUM(A1)", "High Street", "Theft from the person", "\ud800ab"]
    words += ["a b c d e f g", "On or near", "On or near ", "+-12"]
    if seed % 3 == 0:
        words = [w for w in words if "\ud800" not in w]
    n = rng.randint(0, 80)
    pick = [rng.choice(words) + rng.choice(["", "", str(rng.randint(0, 99))]) for _ in range(n)]
    plain = [w for w in pick if w and w.isprintable() and w.strip() == w and "  " not in w]
    columns = {
        "offence": plain,  # (nothing to fold: the joined text's path)
        "extra_notes": pick,  # (anything: folded values, NULs, surrogates)
        "extra_officer": plain + ([np.nan] if seed % 2 else []),  # (NaN: the second branch)
        "extra_ids": plain[::-1] + [""],  # (an empty string, left out)
        "extra_nul": plain + ["x\x00yz", "abc\x00"],  # (NULs inside: nothing to fold)
        "extra_blank": [rng.choice(["", None, w]) for w in plain],  # (blanks and None: skipped)
        "extra_flags": plain + [False, 0, b""][: 1 + seed % 3],  # (falsy, not blank: str() of it)
        "location": [w for w in pick if "\x00" not in w] if seed % 4 == 1 else plain,
    }
    length = max(len(v) for v in columns.values())
    table = {}
    for name, values in columns.items():
        values = (values * (length // max(len(values), 1) + 1))[:length] if values else []
        values += [np.nan] * (length - len(values))
        dtype = "category" if name == "location" and seed % 2 else object
        table[name] = pd.Series(values, dtype=dtype)
    table["crime_id"] = [f"AB/{i:06d}" for i in range(length)]
    return pd.DataFrame(table)


@pytest.mark.parametrize("seed", range(40))
def test_secret_parts_equal_the_direct_form(seed: int):
    """Which values are kept is decided on the text raw_text_values joined (in its order)
    when it has one, on the values themselves otherwise: the same values, in the same
    order (the set difference's), and the same set, on hostile columns of every kind."""
    raw = _hostile_secret_table(seed)
    try:
        want = _direct_secret_parts(context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1))))
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            _ = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1))).secret_parts
        return
    prep = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    assert prep.secret_parts == want[0]
    assert list(prep.secret_set) == list(want[1])


def _rows(rng: random.Random, distinct: list, blanks: list, n: int) -> list:
    """``n`` rows drawn from ``distinct`` (each at least once, in a random order) with
    ``blanks`` strewn among them."""
    rows = distinct + [rng.choice(distinct) for _ in range(max(n - len(distinct), 0))]
    rows += [rng.choice(blanks) for _ in range(rng.randint(0, 6))] if blanks else []
    rng.shuffle(rows)
    return rows


@pytest.mark.parametrize("seed", range(60))
def test_text_set_from_rows_is_the_set_of_the_distinct_values(seed: int):
    """_text_set builds the column's set from its rows (blanks and None left out): the same
    values in the same iteration order as set(raw_text_values(column)), which the secret
    values' set differences start from; at every size a set's table grows through (4 or 5
    values and a blank: the blank would have grown the table), with and without blanks.
    Its joined text is its values in that order. A column with a cell that is not text, or
    a value to fold, is left to raw_text_values (None)."""
    rng = random.Random(seed)
    pool = [f"value {i} {rng.random():.6f}" for i in range(3 * seed + 4)]
    for count in sorted({1, 2, 3, 4, 5, 6, 19, 20, 21, len(pool)}):
        distinct = rng.sample(pool, min(count, len(pool)))
        for blanks in ([], [""], [None], ["", None]):
            rows = _rows(rng, distinct, blanks, rng.randint(count, 3 * count))
            series = pd.Series(rows, dtype=object)
            got = context._text_set(series)
            assert got is not None, (rows, "plain text with blanks: the rows' set")
            want = set(context.raw_text_values(series))
            assert list(got[0]) == list(want)
            listed = got[1][2]
            assert listed == list(got[0])
            assert got[1][0] == "\x00".join(listed).encode("utf-8")
            assert got[1][1] == len("\x00".join(listed))
    plain = pool[:5]
    for odd in (np.nan, False, 0, 0.0, b"", 7, b"x", pd.NA, "  two  spaces", " lead", "'=1"):
        series = pd.Series(plain + [odd, "", None] + plain, dtype=object)
        assert context._text_set(series) is None, odd
    assert context._text_set(pd.Series(plain, dtype="category")) is None
    sub = pd.Series([_Text("sub text"), "sub text", "other"], dtype=object)
    got = context._text_set(sub)
    assert got is not None and list(got[0]) == list(set(context.raw_text_values(sub)))
    assert list(map(type, got[0])) == list(map(type, set(context.raw_text_values(sub))))


def _fold_by_replacing(text: str) -> bytes:
    folded = text.encode("utf-8", errors="replace").lower().translate(context._WORD_BYTES)
    while b"  " in folded:
        folded = folded.replace(b"  ", b" ")
    folded = folded.strip(b" ")
    return folded.replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00")


def test_fold_words_in_numpy_equals_the_replacing_fold(monkeypatch: pytest.MonkeyPatch):
    """Large texts are tidied in numpy, piece by piece: the same bytes as the replacing
    loop, whatever the spaces, NULs, punctuation and non-ASCII at the ends and the cuts."""
    rng = random.Random(9)
    pieces = ["ab", " ", "  ", "\x00", ",", ". ", "é", "9", "Q", "\t", "\ud800", "-", "   \x00 "]
    for size in (1, 2, 3, 7):  # tiny pieces: the cuts fall everywhere
        monkeypatch.setattr(context, "_SPACED_PIECE", size)
        monkeypatch.setattr(context, "_SPACED_IN_NUMPY", 0)
        for _ in range(600):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
            assert context.fold_words_bytes(text) == _fold_by_replacing(text), repr(text)
    monkeypatch.undo()
    long = " ".join(_random_text(rng, 150_000))
    assert len(long.encode()) >= 2 * context._SPACED_PIECE  # (cut at the pieces' real size)
    assert context.fold_words_bytes(long) == _fold_by_replacing(long)


def test_values_with_spaces_equal_the_per_value_count():
    rng = random.Random(11)
    for _ in range(300):
        values = [
            " ".join(rng.choice(["a", "", "é", "\ud800", "字", "\x01"]) for _ in range(k))
            for k in [rng.randint(0, 9) for _ in range(rng.randint(0, 120))]
        ]
        for need in (0, 3, 5):
            want = [v for v in values if v.count(" ") >= need]
            long, joined = context._with_spaces(values, need)
            assert long == want and joined == "\x00".join(want)
    values = ["a b c d e f"] * 70 + ["a\x00b c d e f g"]  # a NUL inside: counted one by one
    long, joined = context._with_spaces(values, 5)
    assert long == values and joined == "\x00".join(values)
    counts = context._space_counts("\x00".join(["", " a ", "", "  "]), 4)
    assert counts is not None and counts.tolist() == [0, 2, 0, 2]


@pytest.mark.parametrize("seed", range(6))
def test_free_text_equals_the_fold_of_long_values(seed: int):
    rng = random.Random(seed)
    notes = [" ".join(_random_text(rng, rng.randint(0, 12))) for _ in range(rng.randint(0, 300))]
    names = _random_text(rng, 50)
    raw = pd.DataFrame(
        {
            "crime_id": [f"AB/{i:06d}" for i in range(len(notes))],
            "extra_notes": notes,
            "extra_officer": [rng.choice(names) for _ in notes],
            "offence": [rng.choice(["Theft", "Burglary dwelling", "12"]) for _ in notes],
        }
    )
    prep = context.PreparedGate(raw, _no_points())
    assert prep.free_text == _direct_free_text(prep)


def _direct_free_text(prep: context.PreparedGate) -> tuple:
    """free_text as the fold of each extra_* column's long values, written out."""
    parts, spans, offset = [], [], 0
    for col, values in prep.secret_parts:
        long = [v for v in values if v.count(" ") >= context.FRAGMENT_WORDS - 1]
        if not col.startswith("extra_") or not long:
            continue
        chunk = _fold_by_replacing("\x00".join(long))
        spans.append((offset, col))
        parts.append(chunk)
        offset += len(chunk) + 1
    return b"\x00".join(parts), spans


@pytest.mark.parametrize("seed", range(24))
def test_free_text_from_the_lowered_text_equals_the_fold_of_long_values(seed: int):
    """After secret_lower, a column whose values all have FRAGMENT_WORDS - 1 spaces is
    folded from its stretch of the lowered text secret_lower made (no second join,
    encode, lowering): the same free text as the fold of the long values, on notes in
    every case, non-ASCII, short and long notes mixed or not, several free-text columns
    (one before the notes, one after), and a replaced secret_parts (then not taken)."""
    rng = random.Random(seed)
    words = ["Blue", "CAR", "seen", "nEAR", "café", "Straße", "字字", "12", "a", "x-y", "Q"]
    mixed = seed % 3 == 0  # (some notes too short: those columns take _with_spaces' path)

    def note() -> str:
        n = rng.randint(2 if mixed else 6, 12)
        return " ".join(rng.choice(words) for _ in range(n))

    n = rng.randint(1, 120)
    raw = pd.DataFrame(
        {
            "crime_id": [f"AB/{i:06d}" for i in range(n)],
            "offence": [rng.choice(["Theft", "BURGLARY dwelling", "12"]) for _ in range(n)],
            "extra_alias": [f"{note()} alias {i}" for i in range(n)],
            "extra_notes": [note() + f" {i}" for i in range(n)],
            "extra_officer": [rng.choice(["PC Smith", "DC JONES 42"]) for _ in range(n)],
        }
    )
    if seed % 4 == 1:
        raw["extra_notes"] = raw["extra_notes"] + " \ud800"  # (no lowered text: the old path)
    prep = context.PreparedGate(raw, _no_points())
    direct = context.PreparedGate(raw, _no_points())
    try:
        want = _direct_free_text(direct)
    except UnicodeEncodeError:
        return
    try:
        _ = prep.secret_lower
    except UnicodeEncodeError:
        pass
    made = prep._lowered_text
    assert (made is not None) == (seed % 4 != 1)
    if seed % 5 == 2:  # (secret_parts replaced since: the lowered text is not its values')
        prep.__dict__["secret_parts"] = [(c, v[::-1]) for c, v in prep.secret_parts]
        want = _direct_free_text(prep)
    assert prep.free_text == want


def _python_run_hash(words: list[bytes]) -> int:
    """scan's hash of a run of words, in plain integers modulo 2**64."""
    mask = (1 << 64) - 1
    run = 0
    for k, word in enumerate(words):
        h = sum(b * pow(scan._POLY, j, 1 << 64) for j, b in enumerate(word)) & mask
        h ^= (len(word) * int(scan._LENGTH_KEY)) & mask
        run = (run + h * int(scan._RUN_KEYS[k])) & mask
    run ^= run >> 31
    run = (run * int(scan._RUN_KEYS[-1])) & mask
    return run ^ (run >> 29)


def test_run_hashes_equal_the_integer_formula(monkeypatch: pytest.MonkeyPatch):
    """The run hashes (filled in place in numpy) are the polynomial hashes the output side
    meets them with, in plain integers; the raw side's sorted distinct hashes are those."""
    rng = random.Random(21)
    notes = [" ".join(_random_text(rng, rng.randint(0, 14))) for _ in range(200)]
    buf = context.fold_words_bytes("\x00".join(notes))
    for chunk in (64, 1 << 20, 1 << 22):
        monkeypatch.setattr(scan, "_RUN_CHUNK", chunk)
        starts, ends, hashes = scan.word_runs(buf, context.FRAGMENT_WORDS)
        expected = [_python_run_hash(buf[s:e].split(b" ")) for s, e in zip(starts, ends)]
        assert hashes.dtype == np.uint64 and hashes.tolist() == expected
        raw = context.raw_run_hashes(buf)
        assert _same(raw, np.unique(np.array(expected, dtype=np.uint64)))
    # every note twice (each run at least twice), one note, none
    for texts in (notes + notes[::-1], notes[:1] * 3, [], ["one two three four five six"]):
        buf = context.fold_words_bytes("\x00".join(texts))
        want = np.unique(scan.word_runs(buf, context.FRAGMENT_WORDS)[2])
        assert _same(context.raw_run_hashes(buf), want)


def _direct_tolerant_keys(lon: np.ndarray, lat: np.ndarray, truncate: bool) -> np.ndarray:
    sx, sy = scan._scaled(lon, 5), scan._scaled(lat, 5)
    kx, ky = np.rint(sx), np.rint(sy)
    parts = [scan.pack_keys(kx, ky)]
    near = (np.abs(np.abs(sx - np.trunc(sx)) - 0.5) < 1e-6) | (
        np.abs(np.abs(sy - np.trunc(sy)) - 0.5) < 1e-6
    )
    nx, ny = sx[near], sy[near]
    for ax in (np.floor(nx + 0.5 - 1e-6), np.floor(nx + 0.5 + 1e-6)):
        for ay in (np.floor(ny + 0.5 - 1e-6), np.floor(ny + 0.5 + 1e-6)):
            parts.append(scan.pack_keys(ax, ay))
    if truncate:
        tx, ty = np.trunc(sx), np.trunc(sy)
        parts += [scan.pack_keys(tx, ty), scan.pack_keys(tx, ky), scan.pack_keys(kx, ty)]
    keys = np.unique(np.concatenate(parts))
    return keys[keys >= 0]


@pytest.mark.parametrize("seed", range(10))
def test_tolerant_keys_equal_np_unique_of_every_part(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 500))
    lon = rng.uniform(-6, 2, n).round(rng.integers(4, 8))
    lat = rng.uniform(49.9, 58.7, n).round(rng.integers(4, 8))
    lon[rng.random(n) < 0.1] = np.nan
    lat[rng.random(n) < 0.05] = np.inf
    lon[rng.random(n) < 0.05] = 1e9  # out of range: key -1, left out
    lat[rng.random(n) < 0.1] = 52.000005  # on a rounding boundary
    lon[rng.random(n) < 0.1] = -0.000004
    for truncate in (False, True):
        got = scan.tolerant_keys(lon, lat, truncate=truncate)
        assert _same(got, _direct_tolerant_keys(lon, lat, truncate)), truncate
    points = _Points(lon[: n // 2], lat[: n // 2])
    raw = pd.DataFrame({"longitude": lon, "latitude": lat})
    prep = context.PreparedGate(raw, points)
    assert _same(prep.allowed_keys, _direct_tolerant_keys(points.longitude, points.latitude, False))


@pytest.mark.parametrize("below", [None, 12])
def test_patterns_bounded_below_a_length_equal_bounded_by_char_lengths(below):
    rng = random.Random(3)
    values = [v for v in _random_text(rng, 400) if "\ud800" not in v] + ["a\x00bcdefghijklmnop"]
    values += ["éééééééééé", "字字字字字字字字字字字字", "abcdefghijk", "abcdefghijkl"]
    bounded = scan.char_lengths(values) < 12
    want = scan.PatternSet(values, bounded=bounded)
    got = scan.PatternSet(values, bounded_below=12) if below else want
    for key in vars(want):
        a, b = getattr(got, key), getattr(want, key)
        assert _same(a, b) if isinstance(a, np.ndarray) else a == b, key


@pytest.mark.parametrize("seed", range(12))
def test_references_equal_the_direct_form(seed: int):
    """The references' lengths come from the text raw_text_values joined when it has one
    (character lengths, not bytes): the same references, in the same order."""
    rng = random.Random(seed)
    pieces = ["AB", "/", "12", "é", "字", "9", " ", "\x00", "x", ""]
    ids = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))) for _ in range(90)]
    ids += ["1234", "12345", "123456", "abcd", "éé", "éééé", "字字字", "字字字字", "12é4"]
    if seed % 2:
        ids = [i for i in ids if i and i.strip() == i and "  " not in i and "\x00" not in i]
    if seed % 3 == 1:
        ids += [np.nan, ""]
    if seed % 4 == 2:  # an empty string left out, and a NUL inside a value making up for it
        ids = ["AB/1234", "x\x00yz", "", "ABCDEFG", "é\x00éé", "12é4", "éé"] + ids[:5]
    prep = context.PreparedGate(pd.DataFrame({"crime_id": ids}), _no_points())
    direct = [
        r
        for r in _direct_raw_text_values(prep.raw["crime_id"])
        if len(r) >= context.MIN_VALUE_CHARS and not (len(r) < 6 and r.isdigit())
    ]
    assert prep.references == direct


def test_stable_argsort_equals_numpy_stable_argsort():
    """The packed sort (each key with its index in one int64) gives np.argsort's stable
    order, ties by index; keys whose range does not fit are sorted by np.argsort."""
    rng = np.random.default_rng(17)
    for trial in range(3000):
        n = int(rng.integers(0, 70))
        kind = trial % 6
        if kind == 0:
            keys = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
        elif kind == 1:
            keys = rng.integers(-5, 5, n)  # (many ties)
        elif kind == 2:
            keys = rng.integers(0, 2**55, n)  # (fits for few keys, not for many)
        elif kind == 3:
            keys = np.array([2**63 - 1, -(2**63), 0] * (n // 3), dtype=np.int64)
        elif kind == 4:
            keys = rng.integers(-50, 50, n) + rng.choice([2**62, -(2**62), 2**60])  # (far out)
        else:
            keys = np.repeat(rng.integers(0, 2**40, max(n // 4, 1)), 4)[:n]
        got = scan.stable_argsort(keys)
        assert _same(got, np.argsort(keys, kind="stable")), keys
    assert _same(scan.stable_argsort(np.array([3, 1, 2], dtype=np.int32)), np.array([1, 2, 0]))


def test_floors_and_ceilings_equal_np_unique_of_both():
    """One packed sort of the floors (a bit for each row whose ceiling differs) gives
    np.unique of floors and ceilings; steps that differ, and ranges that do not fit the
    packing, are sorted as they are."""
    rng = np.random.default_rng(19)
    for trial in range(2000):
        n = int(rng.integers(0, 60))
        floor = rng.integers(-1000, 1000, n) * rng.choice([1, 10, 2**40, 2**58])
        step = int(rng.choice([1, 10, -1, 3]))
        ceil = floor + step * (rng.random(n) < rng.random())
        if trial % 7 == 0 and n:
            ceil[rng.integers(0, n)] += 1  # (one row's step differs)
        if trial % 11 == 0 and n:
            floor[0], ceil[0] = -(2**63), 2**63 - 1  # (no step, no packing)
        got = context._floors_and_ceilings(floor, ceil)
        assert _same(got, np.unique(np.concatenate([floor, ceil]))), (floor, ceil)


@pytest.mark.parametrize("seed", range(8))
def test_raw_coordinate_views_equal_the_direct_forms(seed: int):
    """raw_is_point and raw_coordinate_keys sort the raw keys once, and allowed_keys takes
    the map points' keys in point_key_order's order: np.isin and np.setdiff1d of the
    direct keys give the same, on hostile coordinates (NaN, inf, out of range, rounding
    boundaries, truncation, rows at map points)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 600))
    lon = rng.uniform(-6, 2, n).round(int(rng.integers(4, 8)))
    lat = rng.uniform(49.9, 58.7, n).round(int(rng.integers(4, 8)))
    lon[rng.random(n) < 0.1] = np.nan
    lat[rng.random(n) < 0.05] = np.inf
    lon[rng.random(n) < 0.05] = 1e9
    lat[rng.random(n) < 0.1] = 52.000005
    lon[rng.random(n) < 0.1] = -0.000004
    at_point = rng.random(n) < 0.3  # (map points at some raw rows' coordinates)
    points = _Points(lon[at_point], lat[at_point])
    raw = pd.DataFrame({"longitude": lon, "latitude": lat})
    prep = context.PreparedGate(raw, points)
    allowed = _direct_tolerant_keys(points.longitude, points.latitude, False)
    assert _same(prep.allowed_keys, allowed)
    raw_keys = scan.coordinate_keys(lon, lat)
    assert _same(prep.raw_is_point, np.isin(raw_keys, allowed))
    ok = ~np.isin(raw_keys, allowed) & np.isfinite(lon) & np.isfinite(lat)
    want = np.setdiff1d(_direct_tolerant_keys(lon[ok], lat[ok], True), allowed)
    assert _same(prep.raw_coordinate_keys, want)


def test_pattern_values_are_those_of_eight_bytes_or_more():
    """PatternSet keeps the list it was given when every value is long enough, and
    otherwise the long ones in order: the values of its patterns, by index."""
    rng = random.Random(23)
    pieces = ["abcd", "é", "字", "x", "0123456789", "\ud7ff", " "]
    for _ in range(400):
        values = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))) for _ in range(30)]
        if rng.random() < 0.5:
            values = [v for v in values if len(v.encode("utf-8")) >= 8]
        patterns = scan.PatternSet(values, bounded_below=context.WHOLE_WORD_BELOW)
        want = [v for v in values if len(v.encode("utf-8")) >= 8]
        assert patterns.values == want
        assert [patterns.pattern(i).decode("utf-8") for i in range(len(want))] == want


def test_lowering_word_table_is_lower_then_word_table():
    """fold_words_bytes' one translate is bytes.lower() and then _WORD_BYTES, every byte."""
    every = bytes(range(256))
    assert every.translate(context._LOWER_WORD_BYTES) == every.lower().translate(
        context._WORD_BYTES
    )


def _pattern_facts(patterns: scan.PatternSet) -> tuple:
    """Everything a PatternSet answers with: its values, each pattern's bytes, flags and
    lengths, the anchors' order and sets, the tails (not where its buffer keeps them)."""
    return (
        patterns.values,
        [patterns.pattern(i) for i in range(len(patterns))],
        patterns.nbytes.tolist(),
        patterns.bounded.tolist(),
        patterns.order.tolist(),
        patterns.sorted_anchors.tolist(),
        patterns.unique_anchors.tolist(),
        patterns.tails.tolist(),
    )


def test_patterns_from_a_given_layout_equal_those_laid_out_afresh():
    """PatternSet(values, layout=) of any buffer that holds each value at its start (here
    the values joined in reverse, with their arrays reversed) answers exactly as
    PatternSet(values), and finds the same substrings."""
    rng = random.Random(29)
    pieces = ["abcd", "é", "字", "x", "0123456789", "Theft ", " ", "high street"]
    for _ in range(200):
        values = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(40)]
        buf, start, nbytes, chars = scan.text_layout(values[::-1])
        layout = (buf, start[::-1], nbytes[::-1], chars[::-1])
        for kw in ({"bounded_below": context.WHOLE_WORD_BELOW}, {"bounded": True}):
            got = scan.PatternSet(values, layout=layout, **kw)
            want = scan.PatternSet(values, **kw)
            assert got.buffer is buf  # (the given layout, not a second join)
            assert _pattern_facts(got) == _pattern_facts(want)
            hay = " ".join(rng.sample(values, 10)).encode("utf-8")
            assert scan.find_substrings(hay, got) == scan.find_substrings(hay, want)


@pytest.mark.parametrize("seed", range(24))
def test_secret_lower_patterns_equal_those_of_the_keys_laid_out_afresh(seed: int):
    """secret_lower's keys are laid out from the lowered text secret_lower made when every
    lower-case value is a key (the keys are then the lowered values in reverse): the same
    patterns as PatternSet(list(secret_lower)) lays out afresh, on values with case variants
    (two values, one key), public values in another case, NULs, non-ASCII text and lone
    surrogates (which raise, as they did)."""
    rng = random.Random(seed)
    words = ["Theft", "THEFT", "Acacia Avenue 12", "ACACIA AVENUE 12", "café crème", "x\x00yz"]
    words += ["HIGH STREET", "Blue car seen", "字字字字 note", "\ud800 lone", "Officer PC 1234"]
    if seed % 3:
        words = [w for w in words if "\ud800" not in w]
    if seed % 2:
        words = [w for w in words if w not in ("THEFT", "ACACIA AVENUE 12", "HIGH STREET")]
    if seed % 4 < 2:
        words = [w for w in words if "\x00" not in w]
    notes = [f"{rng.choice(words)} {i} {rng.choice(words)}" for i in range(rng.randint(1, 60))]
    raw = pd.DataFrame(
        {
            "offence": [rng.choice(words) for _ in notes],
            "extra_notes": notes,
            "crime_id": [f"AB/{i:06d}" for i in range(len(notes))],
        }
    )
    prep = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    direct = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    try:
        want = scan.PatternSet(list(direct.secret_lower), bounded_below=context.WHOLE_WORD_BELOW)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            _ = prep.secret_lower_patterns
        return
    keys = prep.secret_lower
    assert list(keys.items()) == list(direct.secret_lower.items())
    values = [v for _c, part in prep.secret_parts for v in part]
    plain = not any("\x00" in v for v in values)
    made = prep._lower_layout
    assert (made is not None) == (plain and len(keys) == len(values))
    got = prep.secret_lower_patterns
    assert prep._lower_layout is None  # (taken once, not kept)
    if made is not None:  # (the lowered text's buffer itself: no second join)
        assert got.buffer is made[1][0]
    assert _pattern_facts(got) == _pattern_facts(want)
    hay = " ".join(values).lower().encode("utf-8", errors="surrogatepass")
    assert scan.find_substrings(hay, got, limit=500) == scan.find_substrings(hay, want, limit=500)


def test_secret_lower_patterns_of_a_replaced_secret_lower_are_laid_out_afresh():
    """The lowered text's layout is used only for the very dict it was made with."""
    notes = [f"Blue car seen near number {i}" for i in range(30)]
    raw = pd.DataFrame({"extra_notes": notes, "crime_id": [f"AB/{i:06d}" for i in range(30)]})
    prep = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    _ = prep.secret_lower
    assert prep._lower_layout is not None
    other = {"another value here": "Another value here", "and one more": "And one more"}
    prep.__dict__["secret_lower"] = other
    want = scan.PatternSet(list(other), bounded_below=context.WHOLE_WORD_BELOW)
    assert _pattern_facts(prep.secret_lower_patterns) == _pattern_facts(want)


def _direct_secret_lower(prep: context.PreparedGate) -> dict:
    """secret_lower as a dict, the formula written out: each value lowered on its own, the
    first value of each key winning, the public values' keys left out."""
    values = [v for _col, part in prep.secret_parts for v in part]
    lowered = [context.ascii_lower(v) for v in values]
    out = dict(zip(reversed(lowered), reversed(values)))
    public = {context.ascii_lower(v) for v in prep.public_strings}
    return {k: v for k, v in out.items() if k not in public}


@pytest.mark.parametrize("seed", range(40))
def test_secret_lower_answers_as_the_dict_it_stands_for(seed: int):
    """secret_lower is the dict of the formula, or (every lower-case value a key, none
    twice, none public) a FirstKeyIndex that iterates, counts, looks up (a few times and
    many: then it builds the dict) and lists items as that dict does, in its order; its
    index is itself. Case variants, public values in another case, NULs, non-ASCII text,
    lone surrogates (which raise, as they did), a derived preparation with extra public
    values."""
    rng = random.Random(seed)
    words = ["Theft", "THEFT", "Acacia Avenue 12", "ACACIA AVENUE 12", "café crème", "x\x00yz"]
    words += ["HIGH STREET", "Blue car seen", "字字字字 note", "\ud800 lone", "Officer PC 1234"]
    words += ["ÉCOLE Rue", "école rue", "@[`{ edges", "Straße"]
    if seed % 3:
        words = [w for w in words if "\ud800" not in w]
    if seed % 2:  # (no case variants, no public value in another case: the index)
        words = [w for w in words if w not in ("THEFT", "ACACIA AVENUE 12", "HIGH STREET")]
        words = [w for w in words if w != "école rue"]
    if seed % 4 < 2:
        words = [w for w in words if "\x00" not in w]
    notes = [f"{rng.choice(words)} {i} {rng.choice(words)}" for i in range(rng.randint(1, 60))]
    raw = pd.DataFrame(
        {
            "offence": [rng.choice(words) for _ in notes],
            "extra_notes": notes,
            "crime_id": [f"AB/{i:06d}" for i in range(len(notes))],
        }
    )
    points = _Points(np.zeros(1), np.zeros(1))
    prep = context.PreparedGate(raw, points)
    try:
        want = _direct_secret_lower(prep)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            _ = context.PreparedGate(raw, points).secret_lower
        return
    got = prep.secret_lower
    values = prep.secret_values
    assert values == [v for _col, part in prep.secret_parts for v in part]
    if seed % 2:
        assert isinstance(got, context.FirstKeyIndex)
    if isinstance(got, context.FirstKeyIndex):
        assert len(want) == len(values)  # (only then)
        assert prep.secret_lower_index is got
    else:
        assert type(got) is dict
    assert list(got) == list(want) and len(got) == len(want)
    assert "as_dict" not in got.__dict__ if isinstance(got, context.FirstKeyIndex) else True
    probes = list(want)
    rng.shuffle(probes)
    for key in probes + ["not a key", "theft 0 theft"]:
        assert (key in got) == (key in want)
        if key in want:
            assert got[key] == want[key]
        else:
            with pytest.raises(KeyError):
                _ = got[key]
    assert list(got.items()) == list(want.items())
    assert list(got.values()) == list(want.values())
    assert list(got) == list(want)  # (after the dict was built too)
    # a preparation with extra public values: the base's, less their keys, as a dict
    extra = rng.sample(values, min(2, len(values)))
    derived = context.PreparedGate(raw, points, extra_public=extra, base=prep)
    fresh = context.PreparedGate(raw, points, extra_public=extra)
    assert list(derived.secret_lower.items()) == list(_direct_secret_lower(derived).items())
    assert list(fresh.secret_lower.items()) == list(_direct_secret_lower(fresh).items())


def _direct_squeezed_keys(prep: context.PreparedGate) -> dict:
    """squeezed_keys as a dict, the formula written out: each reference squeezed on its own,
    the first reference of each eligible key winning, in order of first occurrence."""
    out: dict = {}
    for ref in prep.references:
        key = scan.normalise_reference(ref)
        if key not in out and context._squeezed_key_eligible(key):
            out[key] = ref
    return out


@pytest.mark.parametrize("seed", range(30))
def test_squeezed_keys_answer_as_the_dict_they_stand_for(seed: int):
    """squeezed_keys is the dict of the formula, or (eligible keys ASCII and none twice) a
    FirstKeyIndex that iterates, counts, looks up and lists items as that dict does, in its
    order; its index is itself. References retyped alike (one key, two references), short
    keys, digits or letters only, non-ASCII letters, NULs, blanks."""
    rng = random.Random(seed)
    pieces = ["AB", "/", "2022", "10", "é", "x", "-", " ", "Q7", "000123", "字", "\x00"]
    ids = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 7))) for _ in range(80)]
    ids += ["AB/2022/000123", "ABCDEFGHIJ", "1234567890", "ab1234567", "AB-12-345-67"]
    if seed % 2:  # (no key twice)
        ids = list({scan.normalise_reference(i): i for i in ids}.values())
    else:
        ids += ["ab/2022/000123", "AB 2022 000123"]  # (squeezed alike: one key, three refs)
    if seed % 3 == 0:
        ids = [i for i in ids if "\x00" not in i]
    prep = context.PreparedGate(pd.DataFrame({"crime_id": ids}), _no_points())
    want = _direct_squeezed_keys(prep)
    got = prep.squeezed_keys
    if isinstance(got, context.FirstKeyIndex):
        assert prep.squeezed_index is got
        assert prep.squeezed_references[1] is got
    else:
        assert type(got) is dict
    if seed % 2 and seed % 3 == 0:
        assert isinstance(got, context.FirstKeyIndex)
    if seed % 2 == 0:
        assert type(got) is dict
    assert list(got) == list(want) and len(got) == len(want)
    probes = list(want) + ["NOSUCHKEY1", "AB2022000123"]
    rng.shuffle(probes)
    for key in probes:
        assert (key in got) == (key in want)
        if key in want:
            assert got[key] == want[key]
        else:
            with pytest.raises(KeyError):
                _ = got[key]
    assert list(got.items()) == list(want.items())
    assert prep.squeezed_lengths == scan.ascii_lengths(list(want))
    patterns = prep.squeezed_references[0]
    assert _pattern_facts(patterns) == _pattern_facts(scan.PatternSet(list(want), bounded=False))


# --- the proofs' folded keys, from the text secret_parts and references join anyway ----------
def _key_facts(values: list, heads: np.ndarray, lengths: np.ndarray) -> list:
    assert heads.dtype == np.uint64 and lengths.dtype == np.int64
    assert len(values) == heads.size == lengths.size
    return sorted(zip(values, heads.tolist(), lengths.tolist()))


def _direct_folded(values: list) -> tuple:
    """checks._folded_keys(values, checks._lower) as its facts (None: a value holds a NUL)."""
    from crime_mapper.core.gate import checks

    keys = checks._folded_keys(values, checks._lower)
    return None if keys.values is None else _key_facts(keys.values, keys.heads, keys.lengths)


def _plainly(value: object) -> object:
    """``value``, or a plain word when it is text with something to fold."""
    if not isinstance(value, str) or not value:
        return value
    odd = value.strip() != value or "  " in value or not value.isprintable()
    return "Plain Value" if odd or value.startswith("'") else value


_CASE_EDGES = ["@ABCDEFGH", "[XYZ`abc{", "ABCDEFGHIJKL", "Abc DEF", "ÉCOLE DE X", "straße STR"]
_CASE_EDGES += ["字字ABCD", "zZ~?", "MiXeD CaSe NoTeS", "AB", "ABCDEFG", "ABCDEFGH"]


@pytest.mark.parametrize("seed", range(40))
def test_lowered_heads_are_the_proofs_folded_keys(seed: int):
    """PreparedGate.lowered_heads gives, for the non-public values and the references, the
    keys checks._folded_keys folds them to for a proof (each value, the first 8 bytes of
    its lowered UTF-8 as a uint64 with the bytes past its end zero, its byte length), as a
    set: the order differs, and no proof's answer depends on it. Hostile columns of every
    kind (public values, values of an earlier column, short and numeric values dropped,
    blanks, NaN, categoricals; odd seeds: plain text only, so the keys are made) and bytes
    either side of A-Z; even seeds add folded values, NULs, falsy cells and surrogates
    (then the keys are not made, and the proofs fold the values as before)."""
    raw = _hostile_secret_table(seed)
    rng = random.Random(seed)
    edges = [rng.choice(_CASE_EDGES) + rng.choice(["", "x", "Q" * rng.randint(1, 9)])]
    edges += [rng.choice(_CASE_EDGES) + rng.choice(["", "y"]) for _ in range(len(raw) - 1)]
    raw["extra_case"] = pd.Series(edges[: len(raw)], dtype=object)
    plain = seed % 2 == 1
    if plain:
        raw = raw.drop(columns=["extra_notes", "extra_nul", "extra_flags"])
        for col in ("offence", "extra_officer", "extra_ids", "extra_blank"):
            raw[col] = raw[col].map(_plainly, na_action="ignore")
        raw["location"] = raw["offence"].astype("category" if seed % 4 == 1 else object)
    prep = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    try:
        parts = prep.secret_parts
    except UnicodeEncodeError:
        assert not plain
        return  # (as the direct form raises: test_secret_parts_equal_the_direct_form)
    made = prep.lowered_heads("secrets")
    values = [v for _col, part in parts for v in part]
    if plain:
        assert made is not None
    if made is not None:
        assert made[0] is parts
        want = _direct_folded(values)
        assert want is not None and _key_facts(*made[1:]) == want
    else:
        assert not plain
    refs = prep.references
    made = prep.lowered_heads("references")
    assert made is not None  # (the hostile table's references are plain)
    assert made[0] is refs and _key_facts(*made[1:]) == _direct_folded(refs)
    assert prep.lowered_heads("squeezed") is None


@pytest.mark.parametrize("seed", range(12))
def test_lowered_heads_of_hostile_references(seed: int):
    """The references' keys on test_references_equal_the_direct_form's hostile ids (NULs,
    non-ASCII, blanks, NaN, short numbers): made when their text is theirs, and then the
    proofs' folded keys."""
    rng = random.Random(seed)
    pieces = ["AB", "/", "12", "é", "字", "9", " ", "\x00", "x", "", "Q", "@", "["]
    ids = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))) for _ in range(90)]
    ids += ["1234", "12345", "123456", "abcd", "ABCD", "éé", "ÉÉÉÉ", "字字字字", "12é4"]
    if seed % 2:
        ids = [i for i in ids if i and i.strip() == i and "  " not in i and "\x00" not in i]
    if seed % 3 == 1:
        ids += [np.nan, ""]
    prep = context.PreparedGate(pd.DataFrame({"crime_id": ids}), _no_points())
    refs = prep.references
    made = prep.lowered_heads("references")
    if seed % 2 and seed % 3 != 1:  # (plain, and no empty string left out of the text)
        assert made is not None
    if made is not None:
        assert made[0] is refs and _key_facts(*made[1:]) == _direct_folded(refs)


def test_lowered_heads_are_made_on_plain_columns_and_only_for_their_view():
    """The keys are made where every column is plain text (the usual case, partly kept or
    not), and are not given for a view replaced since, nor by a preparation whose values
    are not the base's."""
    raw = pd.DataFrame(
        {
            "crime_id": ["AB/000001", "ab/000002", "XY-1234567", "12"],
            "offence": ["Theft FROM Person", "High Street", "Burglary", "Burglary"],
            "extra_notes": ["Burglary", "Seen AT 12 HIGH ST", "A Note", None],
        }
    )
    prep = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    made = prep.lowered_heads("secrets")
    assert made is not None and made[0] is prep.secret_parts
    values = [v for _col, part in prep.secret_parts for v in part]
    assert _key_facts(*made[1:]) == _direct_folded(values)
    assert sorted(made[1]) == sorted(values)  # ("High Street" public, "Burglary" once)
    refs = prep.lowered_heads("references")
    assert refs is not None and _key_facts(*refs[1:]) == _direct_folded(prep.references)
    prep.__dict__["secret_parts"] = list(prep.secret_parts)
    assert prep.lowered_heads("secrets") is None
    base = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    same = context.PreparedGate(raw, base.points, base=base)
    assert same.lowered_heads("secrets")[0] is base.secret_parts
    other = context.PreparedGate(raw, base.points, extra_public=["A Note"], base=base)
    assert other.secret_parts is not base.secret_parts
    assert other.lowered_heads("secrets") is None
    assert other.lowered_heads("references")[0] is base.references


def test_a_proof_takes_the_keys_made_with_the_view():
    """checks._prepared_keys takes lowered_heads' keys for the view it was made from (not a
    second fold of the values) and folds the values itself otherwise."""
    from crime_mapper.core.gate import checks

    raw = pd.DataFrame({"crime_id": ["AB/000001"], "offence": ["Theft FROM Person"]})
    prep = context.PreparedGate(raw, _Points(np.zeros(1), np.zeros(1)))
    parts = prep.secret_parts
    keys = checks._prepared_keys(prep, "secrets", parts, lambda: ["not used"], checks._lower)
    assert keys.values is prep.lowered_heads("secrets")[1]
    other = [("offence", ["Another Offence"])]  # (a view the keys were not made for)
    keys = checks._prepared_keys(prep, "secrets", other, lambda: ["Another Offence"], checks._lower)
    assert keys.values == ["Another Offence"]
