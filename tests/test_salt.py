"""The salt: weak salts are refused by the documented entropy test, the published fingerprint
is a slow key derivation that cannot serve to test guesses, and any file name is accepted."""

from __future__ import annotations

import hashlib
import random
import string
from pathlib import Path

import pytest

from crime_mapper.core.release.public_schema import (
    FINGERPRINT_ITERATIONS,
    FINGERPRINT_KDF_SALT,
    salt_fingerprint,
)
from crime_mapper.core.release.release_files import (
    MAX_SALT_FILE_BYTES,
    MIN_SALT_BITS,
    ReleaseInputError,
    _longest_repeat,
    create_salt_file,
    read_salt,
    salt_strength,
)

WEAK = [
    "aaaaaaaaaaaaaaaa",
    "0000000000000000",
    "password12345678",
    "passwordpassword",
    "1234567890123456",
    "abcdefghijklmnop",
    "qwertyuiopasdfgh",
    "Leicestershire2022!",
    "NorthumbriaPoliceSalt",
    "leicestershire-police-2022-release",
    "MyForceSecretKey2024",
    "abababababababababab",
]


@pytest.mark.parametrize("salt", WEAK)
def test_weak_salts_are_refused_with_the_reason(tmp_path: Path, salt: str):
    path = tmp_path / "force.salt"
    path.write_text(salt + "\n")
    with pytest.raises(ReleaseInputError, match="does not look random") as caught:
        read_salt(path)
    assert f"at least {MIN_SALT_BITS}" in str(caught.value)
    assert salt not in str(caught.value)  # the message never repeats the secret


def test_random_salts_pass():
    rng = random.Random(10)
    for length, alphabet in ((24, "0123456789abcdef"), (32, "0123456789ABCDEF"), (22, None)):
        chars = alphabet or string.ascii_letters + string.digits + "+/"
        for _ in range(300):
            salt = "".join(rng.choice(chars) for _ in range(length)).encode()
            assert salt_strength(salt)[0] >= MIN_SALT_BITS, salt


def test_created_salt_files_pass_and_score_high(tmp_path: Path):
    for number in range(20):
        salt = read_salt(create_salt_file(tmp_path / f"s{number}.salt"))
        assert salt_strength(salt)[0] > 200


def test_the_score_names_the_patterns_it_found():
    bits, why = salt_strength(b"password12345678")
    assert "password" in why and "run or sequence" in why and bits < 30
    assert "a year" in salt_strength(b"Xq7vLm2022Rt9wZp")[1]


def test_the_fingerprint_is_a_slow_salted_kdf_not_a_keyed_hash():
    salt = b"3f9c1e7a5b2d48e0a6c4f1b29d8e7a61"
    expected = hashlib.pbkdf2_hmac("sha256", salt, FINGERPRINT_KDF_SALT, FINGERPRINT_ITERATIONS)
    assert salt_fingerprint(salt) == expected.hex()[:16]
    assert FINGERPRINT_ITERATIONS >= 600_000
    assert salt_fingerprint(salt) != salt_fingerprint(salt + b"0")


def test_a_salt_file_without_an_extension_is_accepted(tmp_path: Path, provider):
    from qgis.core import QgsApplication

    path = tmp_path / "force_salt"
    path.write_text("3f9c1e7a5b2d48e0a6c4f1b29d8e7a61\n")
    assert read_salt(path) == b"3f9c1e7a5b2d48e0a6c4f1b29d8e7a61"
    alg = QgsApplication.processingRegistry().algorithmById("crime_mapper:anonymise")
    parameter = alg.parameterDefinition("SALT_FILE")
    assert parameter.checkValueIsAcceptable(str(path))
    assert parameter.checkValueIsAcceptable(str(tmp_path / "force.salt"))


def test_a_file_too_large_to_be_a_salt_is_refused_before_it_is_read(tmp_path: Path):
    """Another file chosen by mistake (here the force's extract) is refused by its size, with
    the reason, instead of being read whole and scored."""
    extract = Path(__file__).parents[1] / "sample_data" / "force"
    extract = next(extract.glob("*-force-extract.csv"))
    assert extract.stat().st_size > MAX_SALT_FILE_BYTES
    with pytest.raises(ReleaseInputError, match="is a short random text") as caught:
        read_salt(extract)
    assert f"{extract.stat().st_size:,} bytes" in str(caught.value)


def test_the_largest_salt_file_is_read_and_scored(tmp_path: Path):
    rng = random.Random(3)
    salt = "".join(rng.choice("0123456789abcdef") for _ in range(MAX_SALT_FILE_BYTES - 1))
    path = tmp_path / "long.salt"
    path.write_text(salt + "\n")
    assert read_salt(path) == salt.encode()
    (tmp_path / "longer.salt").write_text(salt + "0\n")
    with pytest.raises(ReleaseInputError, match="short random text"):
        read_salt(tmp_path / "longer.salt")


def _longest_repeat_by_comparing(salt: bytes, i: int) -> int:
    """The definition, compared character by character from every earlier start."""
    best = 0
    for j in range(i):
        n = 0
        while i + n < len(salt) and salt[j + n] == salt[i + n]:
            n += 1
        best = max(best, n)
    return best


def test_the_repeat_search_finds_what_comparing_every_start_finds():
    rng = random.Random(5)
    for _ in range(2000):
        alphabet = rng.choice([b"ab", b"abc", b"0123456789abcdef", bytes(range(256))])
        salt = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for i in range(len(salt)):
            assert _longest_repeat(salt, i) == _longest_repeat_by_comparing(salt, i), (salt, i)
