"""Two speed-ups inside anonymise (issue 15), each compared with its direct form here:

- the Crime IDs' sort keys come from one hex decoding of all IDs (anonymise._hex_keys)
  instead of int(h[:16], 16) per ID, only when that is sure to give the same numbers;
- the public table is gathered straight into one block of objects (anonymise._public_frame)
  instead of a dict of gathered columns that pandas copies into its block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.release import anonymise
from crime_mapper.core.release.anonymise import _hex_keys, _id_rank, _public_frame
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS, salted_crime_id


def _direct_keys(ids: list) -> np.ndarray:
    return np.fromiter((int(h[:16], 16) if h else 0 for h in ids), dtype=np.uint64, count=len(ids))


def _salted(n: int, blanks: int = 0) -> list:
    refs = [f"ref-{i}" if i >= blanks else "" for i in range(n)]
    return salted_crime_id(refs, b"0123456789abcdef-salt").tolist()


def test_salted_ids_take_the_one_decoding_and_give_the_direct_keys():
    ids = _salted(5_000, blanks=300)
    keys = _hex_keys(ids)
    assert keys is not None  # the fast path is taken for what anonymise hashes
    assert np.array_equal(keys, _direct_keys(ids))
    assert _hex_keys([]) is not None and len(_hex_keys([])) == 0


H = "0123456789abcdef" * 4  # 64 hex digits


@pytest.mark.parametrize(
    "odd",
    [
        H.upper(),  # upper-case hex: same numbers either way
        H[:63],  # too short
        H + "0",  # too long
        " " + H[1:],  # whitespace (fromhex would skip it)
        H[:10] + " " + H[11:],
        "  " + H[2:],  # an even count of digits with whitespace decodes to 31 bytes
        H[:32] + "\t\n" + H[34:],
        "0x" + H[2:],  # int() takes a prefix
        H[:5] + "_" + H[6:],  # int() takes underscores
        "\u0663" + H[1:],  # int() takes other scripts' digits
        "g" + H[1:],  # not hex at all
        "é" * 64,
    ],
)
def test_hostile_ids_give_the_direct_keys_or_the_direct_path(odd):
    ids = _salted(50) + [odd, "", odd]
    keys = _hex_keys(ids)
    try:
        direct = _direct_keys(ids)
    except ValueError:
        assert keys is None  # and _id_rank then raises as it always did
        with pytest.raises(ValueError):
            _id_rank(np.array(ids, dtype=object))
        return
    assert keys is None or np.array_equal(keys, direct)
    assert np.array_equal(
        _id_rank(np.array(ids, dtype=object)),
        np.unique(direct, return_inverse=True)[1],
    )


def test_whitespace_made_up_by_a_short_id_takes_the_direct_path():
    """A 64-character ID with two spaces decodes to 31 bytes, and a 2-digit ID to one more:
    the byte count alone would pass, so every ID's length must be checked as well."""
    ids = _salted(20) + [" " + H[1:63] + " ", "ab"]
    assert _hex_keys(ids) is None
    assert np.array_equal(
        _id_rank(np.array(ids, dtype=object)), np.unique(_direct_keys(ids), return_inverse=True)[1]
    )


def test_the_rank_is_made_from_the_one_decoding(monkeypatch):
    """What the speed rests on: _id_rank uses _hex_keys' keys when it gives them."""
    ids = np.array(_salted(100), dtype=object)
    monkeypatch.setattr(anonymise, "_hex_keys", lambda listed: np.arange(len(listed))[::-1])
    assert _id_rank(ids).tolist() == list(range(99, -1, -1))


def test_ids_that_are_not_text_take_the_direct_path():
    assert _hex_keys([H, None]) is None
    assert _hex_keys([H, b"x"]) is None


def _direct_frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({name: columns[name][0][columns[name][1]] for name in PUBLIC_COLUMNS})


@pytest.mark.parametrize("n", [0, 1, 2_000])
def test_the_gathered_frame_is_the_direct_one(n):
    rng = np.random.default_rng(n)
    pool = np.array(["", "2022-10", "a,b", "=x", "nul\x00", "é", "1.5", "nan"], dtype=object)
    columns = {}
    for j, name in enumerate(PUBLIC_COLUMNS):
        values = pool if j % 2 else rng.permutation(pool)
        columns[name] = (values, rng.integers(0, len(values), n))
    columns["Month"] = (np.array(["2022-10"], dtype=object), np.zeros(n, dtype=np.intp))
    gathered = _public_frame(columns)
    direct = _direct_frame(columns)
    pd.testing.assert_frame_equal(gathered, direct)
    assert list(gathered.dtypes) == [np.dtype(object)] * len(PUBLIC_COLUMNS)
    assert gathered.index.equals(direct.index)
